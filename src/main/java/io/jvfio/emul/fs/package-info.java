/**
 * Guest kernel layer, files: the emulated process's fd table (fs/file.c) and eventfds
 * (fs/eventfd.c).
 */
package io.jvfio.emul.fs;
