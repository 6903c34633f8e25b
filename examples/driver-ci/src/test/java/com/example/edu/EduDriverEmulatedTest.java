package com.example.edu;

import io.jvfio.junit.EmulatedVfio;

/** The driver's tests on jvfio's emulator of a 6.12 pSeries guest: milliseconds, any host. */
@EmulatedVfio
class EduDriverEmulatedTest extends EduDriverContract {}
