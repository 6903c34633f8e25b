# native.mk: jvfio's C parts. Included by the top-level Makefile; standalone, from the repository root:
#
#   make -f native/native.mk native             # ABI dumps for both architectures + C benchmarks
#   make -f native/native.mk native-abi         # target/native/abi-x86_64.txt, abi-ppc64le.txt
#   make -f native/native.mk native-bench       # target/native/fionread_bench, noop_bench, libjvfionoop.so
#   make -f native/native.mk native-bench-run   # runs them, prints and writes target/native/bench-c.txt
#   make -f native/native.mk native-toolchain   # installs missing Debian packages (root) or prints how
#   make -f native/native.mk native-clean
#
# Then: JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 mvn -B -o test \
#         -Dtest='AbiGoldenTest,IoctlCodecTest,StructLayoutTest' -Djvfio.abi.required=true
#
# The ppc64le dump is a static cross-compiled binary run under qemu-user. On a ppc64le host the
# roles swap: ppc64le is built natively and x86_64 is cross-built and run under qemu-x86_64-static
# (override NATIVE_*_CC / NATIVE_*_RUN to taste). Paths are relative to the repository root.

NATIVE_SRC   := native
NATIVE_HDR   := headers
NATIVE_OUT   ?= target/native
NATIVE_MK    := $(lastword $(MAKEFILE_LIST))
# Included from another Makefile, this file must not become its default goal.
NATIVE_SAVED_DEFAULT_GOAL := $(.DEFAULT_GOAL)

NATIVE_HOST_ARCH := $(shell uname -m)
ifeq ($(NATIVE_HOST_ARCH),ppc64le)
NATIVE_X86_64_CC   ?= x86_64-linux-gnu-gcc -static
NATIVE_X86_64_RUN  ?= qemu-x86_64-static
NATIVE_PPC64LE_CC  ?= gcc
NATIVE_PPC64LE_RUN ?=
NATIVE_BENCH_CC    ?= gcc
else
NATIVE_X86_64_CC   ?= gcc
NATIVE_X86_64_RUN  ?=
NATIVE_PPC64LE_CC  ?= powerpc64le-linux-gnu-gcc -static
NATIVE_PPC64LE_RUN ?= qemu-ppc64le-static
NATIVE_BENCH_CC    ?= gcc
endif

NATIVE_ABI_CFLAGS   ?= -std=c11 -O0 -Wall -Wextra -Werror -I$(NATIVE_HDR)
NATIVE_BENCH_CFLAGS ?= -std=c11 -O2 -Wall -Wextra -Werror
NATIVE_BENCH_RUNS   ?= 11
NATIVE_BENCH_CALLS  ?= 1000000

NATIVE_ABI_DEPS := $(NATIVE_SRC)/abi_dump.c $(NATIVE_HDR)/jvfio_uapi.h $(NATIVE_MK)
NATIVE_ABI_DUMPS := $(NATIVE_OUT)/abi-x86_64.txt $(NATIVE_OUT)/abi-ppc64le.txt
NATIVE_BENCH_BINS := $(NATIVE_OUT)/fionread_bench $(NATIVE_OUT)/noop_bench $(NATIVE_OUT)/libjvfionoop.so

# $(call native_need,compiler-or-tool words): fail with a hint when the first word is not on PATH.
native_need = @command -v $(firstword $(1)) >/dev/null 2>&1 || { \
	echo "native: '$(firstword $(1))' not found; run: make native-toolchain (or native/ensure-toolchain.sh)" >&2; exit 1; }

.PHONY: native native-abi native-bench native-bench-run native-toolchain native-clean

native: native-abi native-bench

native-abi: $(NATIVE_ABI_DUMPS)

native-bench: $(NATIVE_BENCH_BINS)

native-toolchain:
	sh $(NATIVE_SRC)/ensure-toolchain.sh

$(NATIVE_OUT):
	mkdir -p $@

# ABI dumps. Each binary is written to a temporary file and renamed, so a failed run leaves no
# truncated dump for the golden test to read.
$(NATIVE_OUT)/abi_dump-x86_64: $(NATIVE_ABI_DEPS) | $(NATIVE_OUT)
	$(call native_need,$(NATIVE_X86_64_CC))
	$(NATIVE_X86_64_CC) $(NATIVE_ABI_CFLAGS) -o $@ $(NATIVE_SRC)/abi_dump.c

$(NATIVE_OUT)/abi_dump-ppc64le: $(NATIVE_ABI_DEPS) | $(NATIVE_OUT)
	$(call native_need,$(NATIVE_PPC64LE_CC))
	$(NATIVE_PPC64LE_CC) $(NATIVE_ABI_CFLAGS) -o $@ $(NATIVE_SRC)/abi_dump.c

$(NATIVE_OUT)/abi-x86_64.txt: $(NATIVE_OUT)/abi_dump-x86_64
	$(if $(NATIVE_X86_64_RUN),$(call native_need,$(NATIVE_X86_64_RUN)))
	$(NATIVE_X86_64_RUN) ./$< > $@.tmp
	grep -qx 'arch x86_64' $@.tmp || { echo "native: $< did not report arch x86_64" >&2; exit 1; }
	mv $@.tmp $@

$(NATIVE_OUT)/abi-ppc64le.txt: $(NATIVE_OUT)/abi_dump-ppc64le
	$(if $(NATIVE_PPC64LE_RUN),$(call native_need,$(NATIVE_PPC64LE_RUN)))
	$(NATIVE_PPC64LE_RUN) ./$< > $@.tmp
	grep -qx 'arch ppc64le' $@.tmp || { echo "native: $< did not report arch ppc64le" >&2; exit 1; }
	mv $@.tmp $@

# C baselines for the JMH benchmarks (host architecture only).
$(NATIVE_OUT)/fionread_bench: $(NATIVE_SRC)/bench/fionread_bench.c $(NATIVE_SRC)/bench/bench_util.h $(NATIVE_MK) | $(NATIVE_OUT)
	$(call native_need,$(NATIVE_BENCH_CC))
	$(NATIVE_BENCH_CC) $(NATIVE_BENCH_CFLAGS) -pthread -o $@ $< -pthread

$(NATIVE_OUT)/libjvfionoop.so: $(NATIVE_SRC)/bench/noop.c $(NATIVE_MK) | $(NATIVE_OUT)
	$(call native_need,$(NATIVE_BENCH_CC))
	$(NATIVE_BENCH_CC) $(NATIVE_BENCH_CFLAGS) -fPIC -shared -o $@ $<

$(NATIVE_OUT)/noop_bench: $(NATIVE_SRC)/bench/noop_bench.c $(NATIVE_SRC)/bench/bench_util.h $(NATIVE_MK) | $(NATIVE_OUT)
	$(call native_need,$(NATIVE_BENCH_CC))
	$(NATIVE_BENCH_CC) $(NATIVE_BENCH_CFLAGS) -o $@ $< -ldl

native-bench-run: $(NATIVE_BENCH_BINS)
	{ ./$(NATIVE_OUT)/fionread_bench single $(NATIVE_BENCH_RUNS) $(NATIVE_BENCH_CALLS) && \
	  ./$(NATIVE_OUT)/fionread_bench thread $(NATIVE_BENCH_RUNS) $(NATIVE_BENCH_CALLS) && \
	  ./$(NATIVE_OUT)/noop_bench $(NATIVE_BENCH_RUNS) $(NATIVE_BENCH_CALLS) && \
	  ./$(NATIVE_OUT)/noop_bench --errno $(NATIVE_BENCH_RUNS) $(NATIVE_BENCH_CALLS); } > $(NATIVE_OUT)/bench-c.txt.tmp
	mv $(NATIVE_OUT)/bench-c.txt.tmp $(NATIVE_OUT)/bench-c.txt
	cat $(NATIVE_OUT)/bench-c.txt

native-clean:
	rm -f $(NATIVE_ABI_DUMPS) $(NATIVE_OUT)/abi_dump-x86_64 $(NATIVE_OUT)/abi_dump-ppc64le \
	      $(NATIVE_BENCH_BINS) $(NATIVE_OUT)/bench-c.txt $(NATIVE_OUT)/*.tmp

ifneq ($(NATIVE_MK),$(firstword $(MAKEFILE_LIST)))
.DEFAULT_GOAL := $(NATIVE_SAVED_DEFAULT_GOAL)
endif
