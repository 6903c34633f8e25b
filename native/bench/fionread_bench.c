/*
 * fionread_bench: the cost of the cheapest real ioctl, ioctl(pipe_fd, FIONREAD, &n), from C. The
 * baseline for the JMH benchmark of jvfio's FFM ioctl downcall.
 *
 *   fionread_bench single|thread [runs [calls]]
 *
 * "thread" starts a second thread that stays alive and idle (blocked on a condition variable)
 * before timing: the kernel's fdget() skips the file reference count when the fd table is not
 * shared, i.e. in a single-threaded process, and a JVM is never single-threaded. Compare the JVM
 * with the "thread" number.
 *
 * stdout: one line "fionread <mode> median_ns=<x>" (median over runs of ns per call).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "bench_util.h"

static pthread_mutex_t idle_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle_cond = PTHREAD_COND_INITIALIZER;
static int idle_stop;
static int idle_started;

static void *idle_thread(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&idle_lock);
	idle_started = 1;
	pthread_cond_broadcast(&idle_cond);
	while (!idle_stop)
		pthread_cond_wait(&idle_cond, &idle_lock);
	pthread_mutex_unlock(&idle_lock);
	return NULL;
}

static double run_once(int fd, long calls)
{
	int n = 0;
	long long t0 = bench_now_ns();
	for (long i = 0; i < calls; i++) {
		if (__builtin_expect(ioctl(fd, FIONREAD, &n) != 0, 0)) {
			perror("ioctl(FIONREAD)");
			exit(1);
		}
	}
	long long t1 = bench_now_ns();
	return (double)(t1 - t0) / (double)calls;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 4 || (strcmp(argv[1], "single") != 0 && strcmp(argv[1], "thread") != 0)) {
		fprintf(stderr, "usage: %s single|thread [runs [calls]]\n", argv[0]);
		return 2;
	}
	const char *mode = argv[1];
	int runs = argc > 2 ? (int)bench_arg(argv[2], "runs") : BENCH_DEFAULT_RUNS;
	long calls = argc > 3 ? bench_arg(argv[3], "calls") : BENCH_DEFAULT_CALLS;

	int p[2];
	if (pipe(p) != 0) {
		perror("pipe");
		return 1;
	}
	int n = -1;
	if (ioctl(p[0], FIONREAD, &n) != 0 || n != 0) {
		fprintf(stderr, "FIONREAD on an empty pipe: n=%d\n", n);
		return 1;
	}

	pthread_t t;
	int threaded = strcmp(mode, "thread") == 0;
	if (threaded) {
		if (pthread_create(&t, NULL, idle_thread, NULL) != 0) {
			fprintf(stderr, "pthread_create failed\n");
			return 1;
		}
		pthread_mutex_lock(&idle_lock);
		while (!idle_started)
			pthread_cond_wait(&idle_cond, &idle_lock);
		pthread_mutex_unlock(&idle_lock);
	}

	run_once(p[0], calls); /* warm-up */
	double *ns = calloc((size_t)runs, sizeof *ns);
	if (ns == NULL)
		return 1;
	for (int r = 0; r < runs; r++)
		ns[r] = run_once(p[0], calls);
	double median = bench_median(ns, runs);

	if (threaded) {
		pthread_mutex_lock(&idle_lock);
		idle_stop = 1;
		pthread_cond_broadcast(&idle_cond);
		pthread_mutex_unlock(&idle_lock);
		pthread_join(t, NULL);
	}
	bench_report_spread(ns, runs, calls);
	printf("fionread %s median_ns=%.2f\n", mode, median);
	free(ns);
	close(p[0]);
	close(p[1]);
	return 0;
}
