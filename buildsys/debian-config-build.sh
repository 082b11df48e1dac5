#!/bin/bash
# Compile what the series touches with Debian's own 6.1 configuration (package
# linux-config-6.1, config.amd64_none_amd64), once with CONFIG_PCI_P2PDMA=y as a P2P host
# needs it and once as Debian ships it, without. The test bed's debug kernel is Debian's
# configuration already, trimmed to the test bed's hardware: what Debian builds in, it builds
# too. What it drops are Debian's other modules, and of those the series' code and its users
# compile here (a full Debian build takes hours on two cores):
#   p2p:   every .c file the series changes or adds (md and dm are modules), the other
#          users of <linux/pci-p2pdma.h> (RDMA's rw.c, amdgpu, ...) and the directories of
#          the drivers' headers it changes, whole: drivers/md/ (md.h: raid10, raid5,
#          dm-raid, ...) and drivers/nvme/ (NVMe over fabrics, RDMA, TCP, FC, the target);
#   nop2p: the same files but for the objects that P2PDMA=n does not build
#          (obj-$(CONFIG_PCI_P2PDMA) in their Makefile: p2pdma.o, blk-p2pdma.o), and
#          drivers/nvme/.
# Whole directories (mm/ block/ lib/ io_uring/ drivers/iommu/ drivers/md/ drivers/pci/: 673
# files) took 11 min of a cold CI run, and their built-in files are the debug kernel's.
# A compiler warning in a file the series touches fails the build.
#   buildsys/debian-config-build.sh [p2p|nop2p]...    (default: both)
set -euo pipefail
. "$(dirname "$0")/common.sh"

debian_config=${DEBIAN_CONFIG:-/usr/src/linux-config-6.1/config.amd64_none_amd64.xz}
[[ -f $debian_config ]] || die "no $debian_config: apt-get install linux-config-6.1 (make deps does)"
[[ -d $tree/.git ]] || die "no kernel tree in $tree: run 'make kernel-tree' first"
mapfile -t touched < <(git -C "$tree" diff --name-only base HEAD; own_kernel_files)
# The series' .c files and the other users of <linux/pci-p2pdma.h>, as objects; with
# P2PDMA=n, those that Kconfig still builds. (Named objects are built even when Kconfig
# leaves them out, so these are files that Debian's configuration builds.)
mapfile -t c_files < <({
	printf '%s\n' "${touched[@]}" | grep '\.c$'
	git -C "$tree" grep -l 'linux/pci-p2pdma\.h' -- '*.c'
} | grep -v '^drivers/nvme/' | sort -u)
objs() {
	local c o
	for c in "${c_files[@]}"; do
		o=$(basename "${c%.c}.o")
		[[ $1 == nop2p ]] && grep -qE "CONFIG_PCI_P2PDMA\).*[[:space:]]$o\b" \
			"$tree/$(dirname "$c")/Makefile" && continue
		echo "${c%.c}.o"
	done
}
# The directories of the drivers' headers that the series changes (drivers/md/: md.h is
# raid10's, raid5's, dm-raid's, ...), whole: Kconfig decides what they build.
mapfile -t dirs < <(printf '%s\n' "${touched[@]}" | grep '^drivers/.*\.h$' | xargs -n1 dirname |
	sed -e 's|^drivers/nvme/.*|drivers/nvme|' -e 's|$|/|' | sort -u)
declare -A targets=(
	[p2p]="$(objs p2p | tr '\n' ' ')${dirs[*]}"
	[nop2p]="$(objs nop2p | tr '\n' ' ')drivers/nvme/"
)
variants=("$@")
((${#variants[@]})) || variants=(p2p nop2p)

for v in "${variants[@]}"; do
	case $v in
	p2p) p2pdma=--enable ;;
	nop2p) p2pdma=--disable ;;
	*) die "variant '$v': p2p or nop2p" ;;
	esac
	obj=$build/obj-debian-$v
	mkdir -p "$obj"
	kmake=(make -C "$tree" O="$obj" ARCH=x86_64 -j"$(nproc)")
	# CCACHE_BASEDIR: hits across clones of this repo, as in kernel-build.sh.
	[[ -x /usr/bin/ccache ]] && kmake+=(CC="ccache gcc" HOSTCC="ccache gcc") &&
		export CCACHE_BASEDIR=$top
	if [[ ! -f $obj/.config || $debian_config -nt $obj/.config ]]; then
		xz -dc "$debian_config" >"$obj/.config"
		# No BTF: only the link needs pahole, and these are objects.
		"$tree/scripts/config" --file "$obj/.config" "$p2pdma" PCI_P2PDMA \
			--disable DEBUG_INFO_BTF
		"${kmake[@]}" olddefconfig >"$obj/config.log" 2>&1 ||
			{ cat "$obj/config.log" >&2; die "olddefconfig failed on $debian_config"; }
	fi
	want=$([[ $v == p2p ]] && echo y || echo n)
	require_config "$obj" PCI_P2PDMA="$want" NVME_MULTIPATH=y BLK_DEV_NVME=m NVME_CORE=m

	read -ra t <<<"${targets[$v]}"
	say "compiling with Debian's configuration, PCI_P2PDMA=$want (${obj#$top/}, log: build.log): ${t[*]}"
	start=$SECONDS
	make_logged "$obj/build.log" "${kmake[@]}" "${t[@]}" ||
		die "the series does not compile with Debian's configuration, PCI_P2PDMA=$want (log: ${obj#$top/}/build.log)"
	ours=$(grep -E '^[^ ]+:[0-9]+:[0-9]+: warning:' "$obj/build.log" |
		grep -F -f <(printf '%s:\n' "${touched[@]}") || true)
	[[ -z $ours ]] || { echo "$ours" >&2; die "compiler warnings in files the series touches (above)"; }
	say "compiled in $((SECONDS - start)) s ($(grep -c '^  CC' "$obj/build.log") files," \
		"$(grep -c ': warning:' "$obj/build.log" || true) compiler warnings, none in the series' files)"
done
