/*
 * The kernel side of the NVMe benchmark (docs/benchmarks.md): the guest kernel's nvme driver read
 * with O_DIRECT, in the workloads io.jvfio.driver.nvme.bench.NvmeBench runs on jvfio's polled driver:
 * 4 KiB random reads at queue depth 1 (pread) and 32 (Linux native AIO, the io_submit system calls
 * fio's libaio engine uses), 128 KiB sequential reads at depth 1. Same output format:
 *   nvmebench kernel WORKLOAD iops=N median_ns=N
 * Usage: nvmebench DEVICE [SECONDS [WARMUP]]   (default 5 and 3)
 * fio itself is not used: Debian's ppc64el fio pulls in Ceph and GlusterFS client libraries, far too
 * much for the guest's initramfs; this program issues the same system calls with the same flags.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_LAT (1 << 20)

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

static uint64_t rng = 42;
static uint64_t next_rand(void) {
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return rng;
}

static long long lat[MAX_LAT];

/* One workload for `seconds`; prints the result line when `print`. */
static void run(int fd, uint64_t dev_bytes, char *buf, const char *name, int bytes, int depth, int random,
                double seconds, int print) {
    uint64_t span = dev_bytes / bytes;
    uint64_t next = 0;
    long n = 0;
    long long t0 = now_ns(), end = t0 + (long long)(seconds * 1e9);
    if (depth == 1) {
        while (now_ns() < end) {
            uint64_t blk = random ? next_rand() % span : next++ % span;
            long long s = now_ns();
            if (pread(fd, buf, bytes, (off_t)(blk * bytes)) != bytes) { perror("pread"); exit(1); }
            if (n < MAX_LAT) lat[n] = now_ns() - s;
            n++;
        }
    } else {
        aio_context_t ctx = 0;
        if (syscall(SYS_io_setup, depth, &ctx) < 0) { perror("io_setup"); exit(1); }
        struct iocb cbs[64];
        struct iocb *ptrs[1];
        long long started[64];
        struct io_event ev[64];
        int inflight = 0;
        for (int i = 0; i < depth; i++) {
            memset(&cbs[i], 0, sizeof cbs[i]);
            cbs[i].aio_fildes = fd;
            cbs[i].aio_lio_opcode = IOCB_CMD_PREAD;
            cbs[i].aio_buf = (uint64_t)(uintptr_t)(buf + (size_t)i * bytes);
            cbs[i].aio_nbytes = bytes;
            cbs[i].aio_data = i;
        }
        int more = 1;
        int free_slots[64], nfree = depth;
        for (int i = 0; i < depth; i++) free_slots[i] = i;
        while (more || inflight > 0) {
            more = now_ns() < end;
            while (more && nfree > 0) {
                int i = free_slots[--nfree];
                cbs[i].aio_offset = (int64_t)((random ? next_rand() % span : next++ % span) * bytes);
                ptrs[0] = &cbs[i];
                started[i] = now_ns();
                if (syscall(SYS_io_submit, ctx, 1, ptrs) != 1) { perror("io_submit"); exit(1); }
                inflight++;
            }
            if (inflight == 0) break; /* time is up and everything has completed */
            struct timespec limit = {10, 0};
            int got = syscall(SYS_io_getevents, ctx, 1, depth, ev, &limit);
            if (got < 0) { perror("io_getevents"); exit(1); }
            if (got == 0) { fprintf(stderr, "nvmebench: no completion within 10 s, %d in flight\n", inflight); exit(1); }
            long long t = now_ns();
            for (int e = 0; e < got; e++) {
                int i = (int)ev[e].data;
                if (ev[e].res != bytes) { fprintf(stderr, "aio read: %lld\n", (long long)ev[e].res); exit(1); }
                if (n < MAX_LAT) lat[n] = t - started[i];
                n++;
                free_slots[nfree++] = i;
                inflight--;
            }
        }
        syscall(SYS_io_destroy, ctx);
    }
    long long elapsed = now_ns() - t0;
    long m = n < MAX_LAT ? n : MAX_LAT;
    qsort(lat, m, sizeof lat[0], cmp);
    if (print) {
        printf("nvmebench kernel %s iops=%lld median_ns=%lld\n", name, (long long)(n / (elapsed / 1e9)), m ? lat[m / 2] : 0);
        fflush(stdout);
    }
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: nvmebench DEVICE [SECONDS [WARMUP]]\n"); return 2; }
    double seconds = argc > 2 ? atof(argv[2]) : 5, warmup = argc > 3 ? atof(argv[3]) : 3;
    int fd = open(argv[1], O_RDONLY | O_DIRECT);
    if (fd < 0) { perror(argv[1]); return 1; }
    uint64_t size;
    if (ioctl(fd, BLKGETSIZE64, &size) < 0) { perror("BLKGETSIZE64"); return 1; }
    char *buf;
    if (posix_memalign((void **)&buf, 4096, 32 * (128 << 10))) { perror("posix_memalign"); return 1; }
    printf("nvmebench device %s %llu bytes\n", argv[1], (unsigned long long)size);
    struct { const char *name; int bytes, depth, random; } w[] = {
        {"randread-4k-qd1", 4096, 1, 1}, {"randread-4k-qd32", 4096, 32, 1}, {"seqread-128k-qd1", 128 << 10, 1, 0}};
    for (int i = 0; i < 3; i++) {
        run(fd, size, buf, w[i].name, w[i].bytes, w[i].depth, w[i].random, warmup, 0);
        run(fd, size, buf, w[i].name, w[i].bytes, w[i].depth, w[i].random, seconds, 1);
    }
    close(fd);
    return 0;
}
