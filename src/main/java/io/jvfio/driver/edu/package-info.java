/**
 * A userspace driver for QEMU's {@code edu} teaching device, written against the public API: what a
 * real driver does (config space, BAR registers, DMA through a mapped window, interrupts) on the
 * smallest device that has all of it. {@code io.jvfio.driver.edu.example} shows a whole program.
 */
package io.jvfio.driver.edu;
