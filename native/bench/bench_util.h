/* Timing helpers shared by the C baselines of the JMH benchmarks. */
#ifndef JVFIO_BENCH_UTIL_H
#define JVFIO_BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define BENCH_DEFAULT_RUNS 11
#define BENCH_DEFAULT_CALLS 1000000L

static inline long long bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Sorts v in place and returns its median. */
static inline double bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof v[0], bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

/* A positive decimal command-line argument, or exit(2). */
static inline long bench_arg(const char *s, const char *what)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v <= 0) {
		fprintf(stderr, "bad %s '%s': want a positive integer\n", what, s);
		exit(2);
	}
	return v;
}

/* Diagnostics go to stderr so stdout holds only the result line. */
static inline void bench_report_spread(const double *sorted, int n, long calls)
{
	fprintf(stderr, "# runs=%d calls=%ld min_ns=%.2f max_ns=%.2f\n", n, calls, sorted[0], sorted[n - 1]);
}

#endif
