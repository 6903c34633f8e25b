package com.example.edu;

import io.jvfio.harness.junit.PseriesGuest;

/**
 * The same tests in a QEMU pSeries guest with the real Linux kernel and an edu device: one boot for the
 * class; every test's guest result shows up here under its own name.
 */
@PseriesGuest(devices = "edu")
class EduDriverGuestTest extends EduDriverContract {}
