# cmb-p2p: userspace P2PDMA through the NVMe CMB on Linux 6.1.
#
#   make demo     build kernel and tools, boot the test bed, do a verified P2P copy through the CMB
#   make check    build, then run the runner self-tests and the tests in the test bed
# See README.md for everything else.

SHELL := /bin/bash
BUILD ?= build
kernel_debug := $(BUILD)/obj-debug/arch/x86/boot/bzImage
kernel_bench := $(BUILD)/obj-bench/arch/x86/boot/bzImage

.PHONY: all deps kernel-tree kernel kernel-bench kernel-nop2p debian-config deb deb-boot tools nvme-cli demo check check-runner \
	series-check test soak vm \
	bench export-patches check-exported clean distclean

all: kernel tools

deps:
	@buildsys/install-deps.sh kernel vm tools

kernel-tree: deps
	@buildsys/kernel-tree.sh

kernel: kernel-tree
	@buildsys/kernel-build.sh debug

kernel-bench: kernel-tree
	@buildsys/kernel-build.sh bench

# CONFIG_PCI_P2PDMA off, as Debian ships 6.1; tests with VM_KERNEL=nop2p boot it (nvme/037).
kernel-nop2p: kernel-tree
	@buildsys/kernel-build.sh nop2p

# The series' directories (mm/ block/ lib/ drivers/pci/ drivers/nvme/) compiled with Debian's own
# 6.1 configuration, with and without CONFIG_PCI_P2PDMA: options our test bed's kernels lack.
debian-config: kernel-tree
	@buildsys/debian-config-build.sh

# Installable packages (linux-image, linux-headers) of the series built from Debian's own 6.1
# configuration with P2PDMA, into build/deb/DEB_CONFIG/: debian (default, hours on 2 cores) or
# testbed (the same trimmed to the test bed's hardware). deb-boot boots the test bed from them.
DEB_CONFIG ?= debian
deb: kernel-tree
	@buildsys/install-deps.sh deb
	@buildsys/deb-build.sh $(DEB_CONFIG)

deb-boot: deps tools
	@testbed/deb-boot -d $(BUILD)/deb/$(DEB_CONFIG)

tools: deps
	@$(MAKE) -s -C tools
	@$(MAKE) -s -C tests/src
	@$(MAKE) -s -C bench/src

# Debian 12's nvme-cli with our `nvme cmb` command (tools/nvme-cli/), as build/nvme-cli/nvme.
nvme-cli:
	@buildsys/nvme-cli-build.sh

demo: kernel tools
	@testbed/vm-run -t 900 -- testbed/demo

# The README's test command: the runner must be able to fail before its passes mean anything;
# the series must apply, be checkpatch/sparse clean and bisectable; then the tests, on the debug
# kernel and (nvme/037) on the kernel without P2PDMA; Debian's configuration must compile it.
check: kernel kernel-nop2p tools nvme-cli series-check debian-config
	@tests/check-runner
	@tests/run $(TESTS)

# The series as submitted (build/submission/): git am on the base, checkpatch, each patch
# builds, sparse. SERIES_CHECK=--no-build skips the per-patch builds.
series-check: kernel-tree
	@buildsys/install-deps.sh series
	@buildsys/series-check.sh $(SERIES_CHECK)

check-runner: kernel
	@tests/check-runner

# Only the tests: make test TESTS=nvme/001
test: kernel tools nvme-cli
	@tests/run $(TESTS)

# The long soak (tests/soak): random maps, forks, verified copies, unbinds and resets in the
# test bed for SOAK_MINUTES; SOAK_SEED replays a seed's choices. Log under $(BUILD)/soak/.
SOAK_MINUTES ?= 30
soak: kernel tools
	@tests/soak -k $(kernel_debug) $(SOAK_MINUTES) $(SOAK_SEED)

# Figures measured side by side in one run, on the non-debug kernel (bench/).
bench: kernel-bench tools
	@buildsys/install-deps.sh bench
	@bench/run

# Any command in the test bed: make vm CMD='nvme list'
vm: kernel tools
	@testbed/vm-run -- $(or $(CMD),bash)

export-patches:
	@buildsys/kernel-export.sh

check-exported:
	@buildsys/kernel-export.sh --check

clean:
	rm -rf $(BUILD)/obj-debug $(BUILD)/obj-bench $(BUILD)/obj-nop2p $(BUILD)/obj-debian-* $(BUILD)/obj-deb-* \
		$(BUILD)/deb $(BUILD)/deb-* $(BUILD)/tests
	@$(MAKE) -s -C tools clean
	@$(MAKE) -s -C tests/src clean
	@$(MAKE) -s -C bench/src clean
	cd tests/kmod && rm -f *.o *.ko *.mod *.mod.c .*.cmd Module.symvers modules.order

distclean:
	rm -rf $(BUILD)
	@$(MAKE) -s -C tools clean
	@$(MAKE) -s -C tests/src clean
	@$(MAKE) -s -C bench/src clean
