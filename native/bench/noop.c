/*
 * libjvfionoop.so: functions with the ioctl signature that do nothing, to measure the fixed cost
 * of a downcall (FFM, JNI, JNR) apart from the kernel's.
 */
#include <errno.h>
#include <sys/ioctl.h>

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

typedef int (*ioctl_like)(int, unsigned long, void *);

/*
 * The C baselines as loops inside the library, so that a Java process can time C and its own
 * bindings in the same process and the same run, batch by batch (io.jvfio.bench.SideBySide).
 * Each returns the sum of the results so that no call can be dropped.
 */

/* calls x ioctl(fd, req, arg): the round trip in C (the JVM's threads make the fd table shared). */
__attribute__((visibility("default"))) long jvfio_ioctl_loop(int fd, unsigned long req, void *arg, long calls)
{
	long sum = 0;
	for (long i = 0; i < calls; i++)
		sum += ioctl(fd, req, arg);
	return sum;
}

/* calls x jvfio_noop through a function pointer, as noop_bench calls it through dlsym's. */
__attribute__((visibility("default"))) long jvfio_noop_loop(int fd, unsigned long req, void *arg, long calls)
{
	ioctl_like volatile f = jvfio_noop;
	long sum = 0;
	for (long i = 0; i < calls; i++)
		sum += f(fd, req, arg);
	return sum;
}
