#!/bin/bash
# Compile what the series touches with Debian's own 6.1 configuration (package
# linux-config-6.1, config.amd64_none_amd64), once with CONFIG_PCI_P2PDMA=y as a P2P host
# needs it and once as Debian ships it, without. The test bed's kernels are small: what
# Debian has and they lack (the other IOMMU drivers, NVMe over fabrics and the NVMe target,
# RDMA, ...) compiles here. A full Debian build takes hours on two cores; these are the
# places where the series changes code, so they are what breaks first:
#   p2p:   the directories of every .c file the series changes or adds (mm/ block/ lib/
#          drivers/iommu/ drivers/pci/ drivers/nvme/, the NVMe target too) and the other
#          users of <linux/pci-p2pdma.h> (RDMA's rw.c, amdgpu);
#   nop2p: where P2PDMA=n changes what is compiled: block/, drivers/pci/ and drivers/nvme/
#          (as directories: blk-p2pdma.o and p2pdma.o are not built then), the series'
#          other .c files and those users; elsewhere the series' headers give the same
#          stubs as the base.
# A compiler warning in a file the series touches fails the build.
#   buildsys/debian-config-build.sh [p2p|nop2p]...    (default: both)
set -euo pipefail
. "$(dirname "$0")/common.sh"

debian_config=${DEBIAN_CONFIG:-/usr/src/linux-config-6.1/config.amd64_none_amd64.xz}
[[ -f $debian_config ]] || die "no $debian_config: apt-get install linux-config-6.1 (make deps does)"
[[ -d $tree/.git ]] || die "no kernel tree in $tree: run 'make kernel-tree' first"
mapfile -t touched < <(git -C "$tree" diff --name-only base HEAD; own_kernel_files)
mapfile -t c_files < <(printf '%s\n' "${touched[@]}" | grep '\.c$' | sort -u)
mapfile -t dirs < <(printf '%s\n' "${c_files[@]}" | xargs -n1 dirname |
	sed -e 's|^drivers/nvme/.*|drivers/nvme|' -e 's|$|/|' | sort -u)
mapfile -t users < <(git -C "$tree" grep -l 'linux/pci-p2pdma\.h' -- '*.c' |
	grep -v -e '^drivers/nvme/' -e '^drivers/pci/' | sed 's/\.c$/.o/')
declare -A targets=(
	[p2p]="${dirs[*]} ${users[*]}"
	[nop2p]="$(printf '%s\n' "${c_files[@]}" |
		grep -v -e '^drivers/nvme/' -e '^drivers/pci/' -e '^block/' |
		sed 's/\.c$/.o/' | tr '\n' ' ')block/ drivers/pci/ drivers/nvme/ ${users[*]}"
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
	[[ -x /usr/bin/ccache ]] && kmake+=(CC="ccache gcc" HOSTCC="ccache gcc")
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
