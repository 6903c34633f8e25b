# jvfio: build, run and test. `make run` and `make test` set up what they need themselves.
#
#   make build       compile and package target/jvfio-all.jar (executable, Enable-Native-Access)
#   make run         the main job: `jvfio demo` (emulated backend when there is no /dev/vfio)
#   make test        everything: ABI golden values (x86-64 and ppc64le), unit and contract tests, then
#                    the stages below two at a time: the QEMU pSeries guest on the real 6.12 and newest
#                    kernels (suite, diff, DLPAR, unprivileged, NVMe), nested KVM, the unit suite on a
#                    ppc64le JVM, a downstream project, the 6.1 message
#   make test-unit   the host JVM part only (with the javadoc checks: mvn javadoc:javadoc must be clean)
#   make test-guest  the in-guest part only (builds the images first)
#   make test-diff   every scenario (200 random ones, and the degenerate-argument probes) on the
#                    emulator and the guest kernel
#   make test-diff-64k  the same diff on the 64 KiB-page 6.12 kernel (jvfio diff --page-size 64k)
#   make test-diff-newest-64k  the same on the newest kernel's 64 KiB-page flavour
#   make test-guest-64k edu DMA, toolkit sessions, DmaMapper and the NVMe driver on the 64K 6.12 and newest kernels
#   make test-kernel-newest  test-guest-newest + test-diff-newest: the suite and the diff on the newest kernel
#   make test-topology two PHBs in one container, a multi-function edu and NVMe, in the guest on 6.12 and newest
#   make test-nested the nested-KVM run: an L2 guest with the edu device passed through
#   make test-dlpar  DLPAR hot-plug in the guest (hot-add, SPAPR sequence, hot-remove), on 6.12 and newest
#   make test-downstream  examples/driver-ci (a downstream project) against this jvfio, one guest boot
#   make test-unprivileged  the contract suite, edu and NVMe tests as an unprivileged user in one guest
#                    boot (RLIMIT_MEMLOCK 128 MiB, no capabilities), compared with the emulator under the same
#   make images      the guest images (cached under $(JVFIO_CACHE))
#   make native      the C golden-value dumper and C benchmarks
#   make bench       JMH benchmarks (see docs/benchmarks.md)
#   make bench-nvme-guest  NVMe: jvfio's driver vs the guest kernel's, in the guest
#   make clean

SHELL := /bin/bash
.DEFAULT_GOAL := build
JVFIO_CACHE ?= $(HOME)/.cache/jvfio
export JVFIO_CACHE
MVN_FLAGS ?= -B -q -ntp
# A JDK >= 22, found per recipe (JAVA_HOME if it qualifies, else /usr/lib/jvm), or a clear failure.
WITH_JDK = export JAVA_HOME="$$(scripts/find-jdk.sh)" && export PATH="$$JAVA_HOME/bin:$$PATH" &&
JAR := target/jvfio-all.jar

include native/native.mk
include native/guest-bench/guest-bench.mk

.PHONY: build run test test-unit test-guest test-qemu-user test-diff test-nested test-downstream test-kernel-6.1 test-kernel-newest test-guest-newest test-diff-newest test-diff-64k test-diff-newest-64k test-guest-64k test-unprivileged test-dlpar test-topology images deps bench bench-guest bench-nvme-guest clean

deps:
	@scripts/ensure-deps.sh

build: $(JAR)

$(JAR): pom.xml $(shell find src/main -type f 2>/dev/null)
	@scripts/ensure-deps.sh maven
	@echo "[build] mvn package"
	@$(WITH_JDK) mvn $(MVN_FLAGS) -DskipTests package

run: build
	@bin/jvfio demo

test-unit: deps native
	@echo "[test] host JVM: golden ABI, unit, contract and property tests; javadoc (no warnings, public API documented)"
	@$(WITH_JDK) mvn $(MVN_FLAGS) -Djvfio.abi.required=true verify

images: deps
	@qemu-images/build.sh

test-guest: deps images build
	@echo "[test] QEMU pSeries guest: the real 6.12 kernel"
	@$(WITH_JDK) mvn $(MVN_FLAGS) -Djvfio.guest=required -Dsurefire.excludedGroups=bench,guest-64k \
	    -Dsurefire.groups=guest -Dsurefire.failIfNoSpecifiedTests=false test

test-qemu-user: deps images build
	@echo "[test] unit suite on a ppc64le JVM under qemu-user"
	@scripts/test-qemu-user.sh

# Every repository scenario, DIFF_RANDOM generated ones and the degenerate-argument probes (every size,
# count, length and address field at 0, 1, page-1, max, overflow), on the emulator and the guest kernel.
DIFF_RANDOM ?= 200
DIFF_SEED ?= 1
test-diff: deps images build
	@echo "[test] jvfio diff: emulator vs the guest kernel, scenarios/*.scn + $(DIFF_RANDOM) random (seed $(DIFF_SEED)) + degenerate arguments"
	@bin/jvfio diff scenarios/*.scn --random $(DIFF_RANDOM) --seed $(DIFF_SEED) --degenerate \
	    --deviations scenarios/deviations.txt --report target/fidelity/report.md

# The L2 suite, and the two failure paths (4K-page L1, L0 without nested HV): two short extra boots.
test-nested: deps build
	@scripts/test-nested.sh --failure-paths

# A downstream project's driver: @EmulatedVfio tests on the host, the same tests in one guest boot.
test-downstream: deps images build
	@$(WITH_JDK) scripts/test-downstream.sh

# One boot: the contract suite, edu and the NVMe driver as uid 1000 without capabilities under RLIMIT_MEMLOCK
# 128 MiB (v1 ENABLE's 1 GiB must fail ENOMEM), then the same tests on the emulator configured the same way.
test-unprivileged: deps images build
	@echo "[test] unprivileged guest stage: contract suite, edu and NVMe as uid 1000 (no capabilities, RLIMIT_MEMLOCK 128 MiB), and the emulator under the same"
	@rm -f target/unprivileged/summary.txt
	@$(WITH_JDK) mvn $(MVN_FLAGS) -Djvfio.guest=required -Dsurefire.excludedGroups=bench -Dsurefire.groups=unprivileged \
	    -Dtest=GuestUnprivilegedTest -Dsurefire.failIfNoSpecifiedTests=false test; rc=$$?; \
	    [ -f target/unprivileged/summary.txt ] || echo "[test] unprivileged guest stage: no counts (the run failed before them)"; exit $$rc

# Bookworm's 6.1, before the VFIO SPAPR series: one short boot proves jvfio explains why it cannot work.
test-kernel-6.1: deps build
	@scripts/test-kernel-6.1.sh

# The newest Debian kernel (forky's, resolved when its images are built; versions.lock is printed):
# the in-guest suite (host launcher) and the same diff as test-diff, against the emulator's model of that
# release (Profile.withKernel: where 7.2.12 differs from 6.12.95, docs/fidelity.md "Per kernel").
test-kernel-newest: test-guest-newest test-diff-newest

test-guest-newest: deps build
	@echo "[test] the newest kernel: the in-guest suite"
	@qemu-images/build.sh --kernel newest
	@$(WITH_JDK) mvn $(MVN_FLAGS) -Djvfio.guest=required -Djvfio.guest.kernel=newest -Djvfio.guest.launchers=host \
	    -Dsurefire.excludedGroups=bench -Dsurefire.groups=guest,guest-newest \
	    -Dtest=GuestSuiteTest,SharedContainerNewestGuestTest \
	    -Dsurefire.reportsDirectory=target/surefire-reports-newest -Dsurefire.failIfNoSpecifiedTests=false test

test-diff-newest: deps build
	@echo "[test] the newest kernel: jvfio diff (the emulator modelling that release)"
	@qemu-images/build.sh --kernel newest
	@bin/jvfio diff scenarios/*.scn --random $(DIFF_RANDOM) --seed $(DIFF_SEED) --degenerate --kernel newest \
	    --deviations scenarios/deviations.txt --report target/fidelity/report-newest.md

# The 64 KiB-page flavour of the 6.12 kernel (Debian's -powerpc64le-64k, build.sh --with-64k) against the
# emulator modelling that PAGE_SIZE (jvfio diff --page-size 64k): the repository scenarios, DIFF_RANDOM
# generated ones and the degenerate probes, one guest at a time (docs/fidelity.md, "Page-size flavours").
test-diff-64k: deps build
	@echo "[test] jvfio diff on the 64K-page 6.12 kernel (the emulator modelling 64 KiB pages)"
	@qemu-images/build.sh --with-64k
	@bin/jvfio diff scenarios/*.scn --random $(DIFF_RANDOM) --seed $(DIFF_SEED) --degenerate --page-size 64k \
	    --parallel 1 --deviations scenarios/deviations.txt --report target/fidelity/report-64k.md

# The same on the newest kernel's 64K flavour, against the emulator modelling that release and page size.
test-diff-newest-64k: deps build
	@echo "[test] jvfio diff on the newest kernel's 64K-page flavour (the emulator modelling that release and 64 KiB pages)"
	@qemu-images/build.sh --kernel newest --with-64k
	@bin/jvfio diff scenarios/*.scn --random $(DIFF_RANDOM) --seed $(DIFF_SEED) --degenerate --kernel newest --page-size 64k \
	    --parallel 1 --deviations scenarios/deviations.txt --report target/fidelity/report-newest-64k.md

# The 64 KiB-page flavours (Debian's -powerpc64le-64k) through the public API, on 6.12 and the newest
# kernel: edu DMA round trips, the toolkit's sessions and DmaMapper (the contract classes marked
# @AnyPageSize), then the NVMe driver with the image checked on the host; two boots per kernel, host
# launcher; then `jvfio guest --page-size 64k` end to end (one more boot). The other contract tests
# expect the 4K kernel's answers: test-diff-64k compares that kernel step by step.
GUEST_64K_SELECT = io.jvfio.guest.dma,io.jvfio.toolkit.GuestOkSessionTest,io.jvfio.contract.MapperContractTest
GUEST_64K_KERNELS ?= 6.12 newest
test-guest-64k: deps build
	@echo "[test] 64K-page kernels ($(GUEST_64K_KERNELS)): edu DMA, toolkit sessions, DmaMapper and the NVMe driver through the public API"
	@for k in $(GUEST_64K_KERNELS); do qemu-images/build.sh --kernel $$k --with-64k >/dev/null || exit 1; done
	@$(WITH_JDK) for k in $(GUEST_64K_KERNELS); do \
	    echo "[test] 64K, kernel $$k: $$(grep -h -- '-64k ' $(JVFIO_CACHE)/images/$$( [ $$k = 6.12 ] || echo $$k/)versions.lock | head -n1)"; \
	    mvn $(MVN_FLAGS) -Djvfio.guest=required -Djvfio.guest.kernel=$$k -Djvfio.guest.pageSize=64k \
	        -Djvfio.guest.launchers=host -Djvfio.guest.secondPhb=true -Djvfio.guest.select=$(GUEST_64K_SELECT) \
	        -Dsurefire.excludedGroups=bench -Dsurefire.groups=guest -Dtest='GuestSuiteTest,GuestNvmeTest#nvmeDriverInTheGuest' \
	        -Dsurefire.reportsDirectory=target/surefire-reports-64k-$$k -Dsurefire.failIfNoSpecifiedTests=false test || exit 1; \
	done
	@$(WITH_JDK) mvn $(MVN_FLAGS) -Djvfio.guest=required -Dsurefire.excludedGroups=bench -Dsurefire.groups=guest-64k -Dtest='GuestCommandTest' \
	    -Dsurefire.reportsDirectory=target/surefire-reports-64k-cli -Dsurefire.failIfNoSpecifiedTests=false test

# Several PHBs and a multi-function device (TopologyContractTest, kernel row): one boot on 6.12 and one on
# the newest kernel (its images are built first when missing).
test-topology: deps images build
	@scripts/test-topology.sh

# DLPAR hot-plug (docs/dlpar.md): one boot per kernel (6.12, then the newest), each hot-adding an edu on an
# empty PHB (QMP device_add, asked for by the in-guest test), running the SPAPR sequence on it, then
# hot-removing it (device_del) while a session holds and maps it.
DLPAR_KERNELS ?= 6.12 newest
test-dlpar: deps build
	@echo "[test] DLPAR hot-plug in the guest: hot-add, SPAPR sequence, hot-remove while mapping; kernels: $(DLPAR_KERNELS)"
	@for k in $(DLPAR_KERNELS); do qemu-images/build.sh --kernel $$k >/dev/null || exit 1; done
	@$(WITH_JDK) for k in $(DLPAR_KERNELS); do \
	    echo "[test] DLPAR, kernel $$k: $$(grep -h '^linux-' $(JVFIO_CACHE)/images/$$( [ $$k = 6.12 ] || echo $$k/)versions.lock | head -n1)"; \
	    mvn $(MVN_FLAGS) -Djvfio.guest=required -Djvfio.guest.kernel=$$k -Dsurefire.excludedGroups=bench \
	        -Dsurefire.groups=dlpar -Dtest=GuestDlparTest -Dsurefire.failIfNoSpecifiedTests=false \
	        -Dsurefire.reportsDirectory=target/surefire-reports-dlpar-$$k test || exit 1; \
	done

# After the host suite, the stages run two at a time (scripts/test-stages.sh: each stage's output is
# printed whole when it ends, then a table of results and wall times). Longest first.
TEST_STAGES ?= test-guest test-diff-64k test-diff-newest-64k test-guest-64k test-diff-newest test-diff test-nested \
		test-unprivileged test-guest-newest test-dlpar \
		test-topology test-qemu-user test-kernel-6.1 test-downstream
test: test-unit images
	@chmod +x scripts/test-stages.sh; scripts/test-stages.sh $(TEST_STAGES); rc=$$?; \
	    scripts/test-summary.sh; exit $$rc

bench: deps native-bench build
	@scripts/bench.sh

# MAP+UNMAP in the QEMU guest: C (mapbench.c) and Java (toolkit MapBench) alternated in one boot.
bench-guest: deps images build guest-bench
	@scripts/bench-guest.sh

# NVMe reads in the guest: jvfio's polled driver against the kernel's nvme driver, one boot.
bench-nvme-guest: deps images build guest-bench
	@scripts/bench-nvme-guest.sh

clean: native-clean
	@rm -rf target
