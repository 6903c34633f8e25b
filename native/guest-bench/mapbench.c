/*
 * mapbench: the cost of VFIO SPAPR TCE MAP_DMA + UNMAP_DMA inside a pSeries guest, the C baseline of
 * io.jvfio.toolkit.bench.MapBench (same setup, same operations, same output).
 *
 * Setup, on IOMMU group G (default 0): a SPAPR v2 container, a 32 MiB anonymous buffer registered
 * with REGISTER_MEMORY, and a 64-bit window created with CREATE (4 KiB TCE pages, 32 MiB, 1 level,
 * next to the default window, so QEMU places it at 0x0800000000000000).
 *
 * Measured (each repetition timed alone with CLOCK_MONOTONIC; the median is printed):
 *   one_page    MAP_DMA of one 4 KiB page, then UNMAP_DMA of it
 *   8192_pages  MAP_DMA of the whole 32 MiB (8192 TCEs) in one call, then UNMAP_DMA of it
 *
 * stdout holds these lines:
 *   mapbench one_page median_ns=N
 *   mapbench 8192_pages median_ns=N
 *   mapbench timer median_ns=N        two clock reads back to back: what the timing itself adds
 *   mapbench touch_only median_ns=N   (with -P only) the -P touches alone, timed like a pair
 * Everything else (setup, spread) goes to stderr, prefixed with '#'.
 *
 * Usage: mapbench [-g GROUP] [-n ONE_PAGE_REPS] [-m MANY_PAGES_REPS] [-w ONE_PAGE_WARMUP] [-W MANY_WARMUP] [-t]
 *                 [-p PAGES | -P PAGES]
 * -t keeps a second thread alive (blocked): the fd table is then shared, so the kernel's fdget() takes
 * a file reference per ioctl, as it does in any JVM (fionread_bench's "thread" on the host).
 * -p N writes one byte to each of N distinct pages of a separate buffer before every one-page pair,
 * outside the timed region; -P N does it inside, between MAP and UNMAP (subtract touch_only). Both ask
 * whether a larger working set between two ioctls (the JVM's heap, code cache, stacks) makes the
 * ioctls themselves slower: under TCG through QEMU's software TLB and translation-block caches.
 * Exit status: 0 on success, 1 when a VFIO call fails (the message names it), 2 on bad arguments.
 *
 * Build (static, for the guest): make -f native/guest-bench/guest-bench.mk guest-bench
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE (32UL << 20)
#define TCE_SHIFT 12
#define TCE_PAGE (1UL << TCE_SHIFT)
#define MANY_PAGES (BUF_SIZE / TCE_PAGE)

static void die(const char *what)
{
	fprintf(stderr, "mapbench: %s: %s (errno %d)\n", what, strerror(errno), errno);
	exit(1);
}

static long arg(const char *s, const char *what)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < 0) {
		fprintf(stderr, "mapbench: bad %s '%s': want a non-negative integer\n", what, s);
		exit(2);
	}
	return v;
}

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

/* Sorts v and returns the median (the lower middle for an even count, so it is a measured value). */
static long long median(long long *v, long n)
{
	qsort(v, (size_t)n, sizeof v[0], cmp_ll);
	return v[(n - 1) / 2];
}

static void map_dma(int container, uint64_t vaddr, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof m,
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = vaddr,
		.iova = iova,
		.size = size,
	};
	if (ioctl(container, VFIO_IOMMU_MAP_DMA, &m) != 0)
		die("VFIO_IOMMU_MAP_DMA");
}

static void unmap_dma(int container, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof u,
		.iova = iova,
		.size = size,
	};
	if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &u) != 0)
		die("VFIO_IOMMU_UNMAP_DMA");
}

/* The working set of -p/-P: one byte written in each of touch_pages distinct pages (spread over cache sets). */
static volatile unsigned char *touch_buf;
static long touch_pages;

static void touch(void)
{
	for (long i = 0; i < touch_pages; i++)
		touch_buf[i * TCE_PAGE + (i % 64) * 64]++;
}

/* What one repetition does. */
enum rep { PAIR, PAIR_TOUCH_BEFORE, PAIR_TOUCH_BETWEEN, TOUCH_ONLY, TIMER };

/*
 * Times reps repetitions of what (after warmup untimed ones); returns the median in ns. A pair is
 * MAP+UNMAP of size bytes; the touches are touch()'s.
 */
static long long bench(const char *name, enum rep what, int container, uint64_t vaddr, uint64_t iova, uint64_t size,
		       long reps, long warmup)
{
	long long *t = malloc((size_t)reps * sizeof *t);
	if (t == NULL)
		die("malloc");
	for (long i = -warmup; i < reps; i++) {
		if (what == PAIR_TOUCH_BEFORE)
			touch();
		long long t0 = now_ns();
		if (what != TOUCH_ONLY && what != TIMER)
			map_dma(container, vaddr, iova, size);
		if (what == PAIR_TOUCH_BETWEEN || what == TOUCH_ONLY)
			touch();
		if (what != TOUCH_ONLY && what != TIMER)
			unmap_dma(container, iova, size);
		long long dt = now_ns() - t0;
		if (i >= 0)
			t[i] = dt;
	}
	long long m = median(t, reps);
	fprintf(stderr, "# %s: reps=%ld warmup=%ld min_ns=%lld median_ns=%lld max_ns=%lld\n", name, reps, warmup, t[0],
		m, t[reps - 1]);
	free(t);
	return m;
}

static pthread_mutex_t idle_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle_cond = PTHREAD_COND_INITIALIZER;

/* Blocks until the process exits. */
static void *idle_thread(void *unused)
{
	(void)unused;
	pthread_mutex_lock(&idle_lock);
	for (;;)
		pthread_cond_wait(&idle_cond, &idle_lock);
	return NULL;
}

int main(int argc, char **argv)
{
	long group = 0, reps_one = 1001, reps_many = 21, warm_one = 2000, warm_many = 3;
	int opt, second_thread = 0, touch_inside = 0;
	while ((opt = getopt(argc, argv, "g:n:m:w:W:tp:P:")) != -1) {
		switch (opt) {
		case 'g': group = arg(optarg, "group"); break;
		case 'n': reps_one = arg(optarg, "one-page repetitions"); break;
		case 'm': reps_many = arg(optarg, "8192-page repetitions"); break;
		case 'w': warm_one = arg(optarg, "one-page warmup"); break;
		case 'W': warm_many = arg(optarg, "8192-page warmup"); break;
		case 't': second_thread = 1; break;
		case 'p':
		case 'P':
			touch_pages = arg(optarg, "pages to touch");
			touch_inside = opt == 'P';
			break;
		default:
			fprintf(stderr, "usage: mapbench [-g GROUP] [-n ONE_PAGE_REPS] [-m MANY_PAGES_REPS] "
					"[-w ONE_PAGE_WARMUP] [-W MANY_WARMUP] [-t] [-p PAGES | -P PAGES]\n");
			return 2;
		}
	}
	if (reps_one == 0 || reps_many == 0) {
		fprintf(stderr, "mapbench: repetitions must be positive\n");
		return 2;
	}
	if (second_thread) {
		pthread_t t;
		if (pthread_create(&t, NULL, idle_thread, NULL) != 0)
			die("pthread_create");
		fprintf(stderr, "# a second thread is alive: the fd table is shared\n");
	}

	int container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (container < 0)
		die("open /dev/vfio/vfio");
	char path[64];
	snprintf(path, sizeof path, "/dev/vfio/%ld", group);
	int grp = open(path, O_RDWR | O_CLOEXEC);
	if (grp < 0)
		die(path);
	struct vfio_group_status status = { .argsz = sizeof status };
	if (ioctl(grp, VFIO_GROUP_GET_STATUS, &status) != 0)
		die("VFIO_GROUP_GET_STATUS");
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		fprintf(stderr, "mapbench: group %ld is not viable: bind all its devices to vfio-pci\n", group);
		return 1;
	}
	if (ioctl(grp, VFIO_GROUP_SET_CONTAINER, &container) != 0)
		die("VFIO_GROUP_SET_CONTAINER");
	if (ioctl(container, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_v2_IOMMU) != 0)
		die("VFIO_SET_IOMMU(SPAPR_TCE_v2)");
	struct vfio_iommu_spapr_tce_info info = { .argsz = sizeof info };
	if (ioctl(container, VFIO_IOMMU_SPAPR_TCE_GET_INFO, &info) != 0)
		die("VFIO_IOMMU_SPAPR_TCE_GET_INFO");
	fprintf(stderr, "# group %ld: default window 0x%x+0x%x, ddw flags 0x%x pgsizes 0x%llx max_windows %u levels %u\n",
		group, info.dma32_window_start, info.dma32_window_size, info.flags,
		(unsigned long long)info.ddw.pgsizes, info.ddw.max_dynamic_windows_supported, info.ddw.levels);

	void *buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED)
		die("mmap 32 MiB");
	memset(buf, 0x5a, BUF_SIZE);
	uint64_t vaddr = (uint64_t)(uintptr_t)buf;

	struct vfio_iommu_spapr_register_memory reg = { .argsz = sizeof reg, .vaddr = vaddr, .size = BUF_SIZE };
	if (ioctl(container, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, &reg) != 0)
		die("VFIO_IOMMU_SPAPR_REGISTER_MEMORY");
	struct vfio_iommu_spapr_tce_create create = {
		.argsz = sizeof create,
		.page_shift = TCE_SHIFT,
		.window_size = BUF_SIZE,
		.levels = 1,
	};
	if (ioctl(container, VFIO_IOMMU_SPAPR_TCE_CREATE, &create) != 0)
		die("VFIO_IOMMU_SPAPR_TCE_CREATE(4K pages, 32 MiB, 1 level)");
	uint64_t start = create.start_addr;
	fprintf(stderr, "# window: start 0x%llx size 0x%lx page_shift %d levels 1; buffer 32 MiB registered\n",
		(unsigned long long)start, BUF_SIZE, TCE_SHIFT);

	if (touch_pages > 0) {
		touch_buf = mmap(NULL, (size_t)touch_pages * TCE_PAGE, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (touch_buf == MAP_FAILED)
			die("mmap the pages to touch");
		fprintf(stderr, "# one_page: %ld pages touched %s\n", touch_pages,
			touch_inside ? "between MAP and UNMAP (timed)" : "before each pair (untimed)");
	}
	enum rep one_rep = touch_pages == 0 ? PAIR : touch_inside ? PAIR_TOUCH_BETWEEN : PAIR_TOUCH_BEFORE;
	long long one = bench("one_page", one_rep, container, vaddr, start, TCE_PAGE, reps_one, warm_one);
	long long many = bench("8192_pages", PAIR, container, vaddr, start, BUF_SIZE, reps_many, warm_many);
	long long timer = bench("timer", TIMER, container, vaddr, start, TCE_PAGE, reps_one, warm_one);
	printf("mapbench one_page median_ns=%lld\n", one);
	printf("mapbench %lu_pages median_ns=%lld\n", MANY_PAGES, many);
	printf("mapbench timer median_ns=%lld\n", timer);
	if (touch_pages > 0 && touch_inside)
		printf("mapbench touch_only median_ns=%lld\n",
		       bench("touch_only", TOUCH_ONLY, container, vaddr, start, TCE_PAGE, reps_one, warm_one));
	fflush(stdout);

	struct vfio_iommu_spapr_tce_remove rm = { .argsz = sizeof rm, .start_addr = start };
	if (ioctl(container, VFIO_IOMMU_SPAPR_TCE_REMOVE, &rm) != 0)
		die("VFIO_IOMMU_SPAPR_TCE_REMOVE");
	if (ioctl(container, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, &reg) != 0)
		die("VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY");
	if (ioctl(grp, VFIO_GROUP_UNSET_CONTAINER) != 0)
		die("VFIO_GROUP_UNSET_CONTAINER");
	close(grp);
	close(container);
	munmap(buf, BUF_SIZE);
	if (touch_pages > 0)
		munmap((void *)touch_buf, (size_t)touch_pages * TCE_PAGE);
	return 0;
}
