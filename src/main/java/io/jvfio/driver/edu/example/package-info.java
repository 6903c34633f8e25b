/** A complete userspace driver for QEMU's edu device, written on the toolkit: the example to copy. */
package io.jvfio.driver.edu.example;
