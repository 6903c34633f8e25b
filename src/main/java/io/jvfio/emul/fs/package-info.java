/**
 * Guest kernel layer, files: the emulated process's fd table (fs/file.c) and eventfds
 * (fs/eventfd.c), and poll(2) on them (fs/select.c: {@code Select}, {@code PollTable}).
 */
package io.jvfio.emul.fs;
