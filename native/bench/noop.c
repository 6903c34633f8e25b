/*
 * libjvfionoop.so: functions with the ioctl signature that do nothing, to measure the fixed cost
 * of a downcall (FFM, JNI, JNR) apart from the kernel's.
 */
#include <errno.h>

/* Returns 0. */
__attribute__((visibility("default"), noinline)) int jvfio_noop(int fd, unsigned long req, void *arg)
{
	(void)fd;
	(void)req;
	(void)arg;
	return 0;
}

/* Sets errno to 25 (ENOTTY) and returns -1, like a rejected ioctl: checks errno capture. */
__attribute__((visibility("default"), noinline)) int jvfio_noop_errno(int fd, unsigned long req, void *arg)
{
	(void)fd;
	(void)req;
	(void)arg;
	errno = 25;
	return -1;
}
