# guest-bench.mk: in-guest benchmark material, cross-compiled static for the ppc64le pSeries guest.
#
#   make -f native/guest-bench/guest-bench.mk guest-bench     # target/native/mapbench-ppc64le
#   make -f native/guest-bench/guest-bench.mk guest-bench-clean
#
# Or include it from the top-level Makefile (`include native/guest-bench/guest-bench.mk`); it does not
# change the including Makefile's default goal. Paths are relative to the repository root.
#
# mapbench-ppc64le times MAP_DMA+UNMAP_DMA of one 4 KiB page and of 8192 pages (32 MiB) in one call on
# group 0 (SPAPR v2, registered buffer, a created 64-bit window) and prints
#   mapbench one_page median_ns=N
#   mapbench 8192_pages median_ns=N
# Its Java counterpart is io.jvfio.toolkit.bench.MapBench (same setup and output). It cannot run on
# the build host: it needs the guest's /dev/vfio (qemu-ppc64le-static only shows the usage/error paths).
# The cross toolchain: gcc-powerpc64le-linux-gnu, libc6-dev-ppc64el-cross, linux-libc-dev-ppc64el-cross.

GUEST_BENCH_SRC    := native/guest-bench
GUEST_BENCH_OUT    ?= target/native
GUEST_BENCH_CC     ?= powerpc64le-linux-gnu-gcc
GUEST_BENCH_CFLAGS ?= -static -O2 -std=c11 -Wall -Wextra -Werror
GUEST_BENCH_MK     := $(lastword $(MAKEFILE_LIST))
GUEST_BENCH_SAVED_DEFAULT_GOAL := $(.DEFAULT_GOAL)

.PHONY: guest-bench guest-bench-clean

guest-bench: $(GUEST_BENCH_OUT)/mapbench-ppc64le $(GUEST_BENCH_OUT)/nvmebench-ppc64le

$(GUEST_BENCH_OUT)/mapbench-ppc64le: $(GUEST_BENCH_SRC)/mapbench.c $(GUEST_BENCH_MK)
	@command -v $(firstword $(GUEST_BENCH_CC)) >/dev/null 2>&1 || { \
	  echo "guest-bench: '$(firstword $(GUEST_BENCH_CC))' not found: install gcc-powerpc64le-linux-gnu" \
	       "libc6-dev-ppc64el-cross linux-libc-dev-ppc64el-cross (or run: make native-toolchain)" >&2; exit 1; }
	@mkdir -p $(GUEST_BENCH_OUT)
	$(GUEST_BENCH_CC) $(GUEST_BENCH_CFLAGS) -o $@.tmp $<
	mv $@.tmp $@

$(GUEST_BENCH_OUT)/nvmebench-ppc64le: $(GUEST_BENCH_SRC)/nvmebench.c $(GUEST_BENCH_MK)
	@command -v $(firstword $(GUEST_BENCH_CC)) >/dev/null 2>&1 || { \
	  echo "guest-bench: '$(firstword $(GUEST_BENCH_CC))' not found: install gcc-powerpc64le-linux-gnu" >&2; exit 1; }
	@mkdir -p $(GUEST_BENCH_OUT)
	$(GUEST_BENCH_CC) $(GUEST_BENCH_CFLAGS) -o $@.tmp $<
	mv $@.tmp $@

guest-bench-clean:
	rm -f $(GUEST_BENCH_OUT)/mapbench-ppc64le $(GUEST_BENCH_OUT)/mapbench-ppc64le.tmp \
	      $(GUEST_BENCH_OUT)/nvmebench-ppc64le $(GUEST_BENCH_OUT)/nvmebench-ppc64le.tmp

ifneq ($(GUEST_BENCH_MK),$(firstword $(MAKEFILE_LIST)))
.DEFAULT_GOAL := $(GUEST_BENCH_SAVED_DEFAULT_GOAL)
endif
