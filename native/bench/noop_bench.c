/*
 * noop_bench: the cost of calling jvfio_noop from libjvfionoop.so through a pointer obtained with
 * dlopen/dlsym, so the compiler can neither inline nor elide the call. The C baseline of the JMH
 * downcall-overhead benchmark.
 *
 *   noop_bench [--errno] [--lib PATH] [runs [calls]]
 *
 * The library defaults to libjvfionoop.so next to this executable. --errno times jvfio_noop_errno
 * instead (and reports "noop_errno").
 *
 * stdout: one line "noop c median_ns=<x>" (or "noop_errno c median_ns=<x>").
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"

typedef int (*ioctl_like)(int, unsigned long, void *);

static double run_once(ioctl_like f, long calls, int expect)
{
	int arg = 0;
	long long t0 = bench_now_ns();
	for (long i = 0; i < calls; i++) {
		if (__builtin_expect(f(3, 0x541BUL, &arg) != expect, 0)) {
			fprintf(stderr, "unexpected return value\n");
			exit(1);
		}
	}
	long long t1 = bench_now_ns();
	return (double)(t1 - t0) / (double)calls;
}

int main(int argc, char **argv)
{
	int use_errno = 0;
	const char *lib = NULL;
	int i = 1;
	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--errno") == 0) {
			use_errno = 1;
		} else if (strcmp(argv[i], "--lib") == 0 && i + 1 < argc) {
			lib = argv[++i];
		} else {
			fprintf(stderr, "usage: %s [--errno] [--lib PATH] [runs [calls]]\n", argv[0]);
			return 2;
		}
	}
	int runs = i < argc ? (int)bench_arg(argv[i++], "runs") : BENCH_DEFAULT_RUNS;
	long calls = i < argc ? bench_arg(argv[i++], "calls") : BENCH_DEFAULT_CALLS;

	char path[PATH_MAX];
	if (lib == NULL) {
		char self[PATH_MAX];
		ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
		if (len < 0) {
			perror("readlink(/proc/self/exe)");
			return 1;
		}
		self[len] = '\0';
		snprintf(path, sizeof path, "%s/libjvfionoop.so", dirname(self));
		lib = path;
	}
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 1;
	}
	ioctl_like noop = (ioctl_like)dlsym(h, "jvfio_noop");
	ioctl_like noop_errno = (ioctl_like)dlsym(h, "jvfio_noop_errno");
	if (noop == NULL || noop_errno == NULL) {
		fprintf(stderr, "dlsym: %s\n", dlerror());
		return 1;
	}

	/* Self-check of both symbols before timing. */
	errno = 0;
	if (noop(0, 0, NULL) != 0 || errno != 0) {
		fprintf(stderr, "jvfio_noop: expected 0 with errno untouched\n");
		return 1;
	}
	if (noop_errno(0, 0, NULL) != -1 || errno != 25) {
		fprintf(stderr, "jvfio_noop_errno: expected -1 and errno 25, got errno %d\n", errno);
		return 1;
	}

	ioctl_like f = use_errno ? noop_errno : noop;
	int expect = use_errno ? -1 : 0;
	run_once(f, calls, expect); /* warm-up */
	double *ns = calloc((size_t)runs, sizeof *ns);
	if (ns == NULL)
		return 1;
	for (int r = 0; r < runs; r++)
		ns[r] = run_once(f, calls, expect);
	double median = bench_median(ns, runs);
	bench_report_spread(ns, runs, calls);
	printf("%s c median_ns=%.2f\n", use_errno ? "noop_errno" : "noop", median);
	free(ns);
	dlclose(h);
	return 0;
}
