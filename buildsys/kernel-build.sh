#!/bin/bash
# Configure and build bzImage of one kernel flavour: debug (tests), bench (benchmarks) or nop2p
# (the bench kernel with CONFIG_PCI_P2PDMA off, as Debian ships 6.1).
# The test kernel (debug) is Debian-shaped: Debian's own 6.1 configuration trimmed to the test
# bed's hardware (make localmodconfig with configs/testbed.modules: what Debian builds in stays
# built in, its modules are dropped but for those), then configs/testbed.config and
# configs/debug.config on top. bench and nop2p are minimal: configs/base.config on allnoconfig
# (bench with md for its volume row: configs/volumes.config).
# Objects go to build/obj-FLAVOUR, so both flavours build incrementally side by side.
# KERNEL_TREE and KERNEL_OBJ build another source tree into another directory, KERNEL_TARGETS
# other make targets than bzImage, e.g. directories ("mm/ block/"; series-check).
set -euo pipefail
. "$(dirname "$0")/common.sh"

flavour=${1:-debug}
[[ -f $top/configs/$flavour.config ]] || die "no configs/$flavour.config (flavours: debug, bench, nop2p)"
obj=${KERNEL_OBJ:-$build/obj-$flavour}
tree=${KERNEL_TREE:-$tree}
read -ra targets <<<"${KERNEL_TARGETS:-bzImage}"
case $flavour in
debug) frags=("$top/configs/testbed.config") base=debian ;;
nop2p) frags=("$top/configs/base.config" "$top/configs/bench.config") base=allno ;;
bench) frags=("$top/configs/base.config" "$top/configs/volumes.config") base=allno ;;
*) frags=("$top/configs/base.config") base=allno ;;
esac
frags+=("$top/configs/$flavour.config")
mkdir -p "$obj"

kmake=(make -C "$tree" O="$obj" ARCH=x86_64 -j"$(nproc)")
# CCACHE_BASEDIR: hits across clones of this repo, whose absolute paths differ.
command -v ccache >/dev/null && kmake+=(CC="ccache gcc" HOSTCC="ccache gcc") && export CCACHE_BASEDIR=$top

# Reconfigure when a fragment (or Debian's configuration) is newer than the .config made from it.
inputs=("${frags[@]}")
[[ $base == debian ]] && inputs+=("$debian_config" "$top/configs/testbed.modules")
if [[ ! -f $obj/.config ]] || [[ -n $(find "${inputs[@]}" -newer "$obj/.config") ]]; then
	: >"$obj/config.log"
	if [[ $base == debian ]]; then
		say "configuring $flavour kernel: Debian's ${debian_config##*/}, localmodconfig with configs/testbed.modules, ${frags[*]#$top/}"
		debian_config "$obj" testbed "${kmake[@]}"
		cp "$obj/.config" "$obj/debian-testbed.config"
		merge=("$obj/debian-testbed.config" "${frags[@]}")
	else
		say "configuring $flavour kernel from ${frags[*]#$top/}"
		merge=(-n "${frags[@]}")
	fi
	(cd "$tree" && ARCH=x86_64 scripts/kconfig/merge_config.sh -O "$obj" "${merge[@]}") \
		>>"$obj/config.log" 2>&1 || { cat "$obj/config.log" >&2; die "configuration failed"; }
	# merge_config.sh only warns when Kconfig overrides a request; a silent mismatch here
	# would give a kernel that lacks what the tests rely on.
	# A later fragment overrides an earlier one, as in merge_config.sh.
	declare -A want=()
	while IFS='=' read -r sym val; do
		want[$sym]=$val
	done < <(cat "${frags[@]}" | grep -E '^CONFIG_[A-Z0-9_]+=')
	bad=0
	for sym in "${!want[@]}"; do
		val=${want[$sym]}
		if [[ $val == n ]]; then
			grep -q "^$sym=" "$obj/.config" && { echo "  $sym is set, wanted n" >&2; bad=1; }
		else
			grep -qxF "$sym=$val" "$obj/.config" ||
				{ echo "  $sym: wanted $val, got '$(grep "^$sym=" "$obj/.config" | cut -d= -f2)'" >&2; bad=1; }
		fi
	done
	((bad == 0)) || { mv "$obj/.config" "$obj/.config.rejected"; die "Kconfig did not accept configs/ as written (dependencies missing?)"; }
fi

say "building $flavour kernel (${targets[*]}) in ${obj#$top/} (log: ${obj#$top/}/build.log)"
start=$SECONDS
make_logged "$obj/build.log" "${kmake[@]}" "${targets[@]}" ||
	die "kernel build failed (full log: $obj/build.log)"
if [[ ${targets[*]} == bzImage ]]; then
	say "built ${obj#$top/}/arch/x86/boot/bzImage in $((SECONDS - start)) s"
else
	say "built ${targets[*]} in ${obj#$top/} in $((SECONDS - start)) s"
fi

# The modules (nvme is one, as in distribution kernels), installed under $obj/modinst for the
# test bed guest (testbed/vm-run), and for the debug kernel the tests' own (tests/kmod), which
# link against the Module.symvers that "modules" writes.
if [[ ${targets[*]} == bzImage && -z ${KERNEL_OBJ:-} ]]; then
	start=$SECONDS
	{
		"${kmake[@]}" modules && rm -rf "$obj/modinst" &&
			"${kmake[@]}" INSTALL_MOD_PATH="$obj/modinst" modules_install &&
			if [[ $flavour == debug ]]; then "${kmake[@]}" M="$top/tests/kmod" modules; fi
	} >"$obj/modules.log" 2>&1 ||
		{ tail -30 "$obj/modules.log" >&2; die "modules failed to build (full log: $obj/modules.log)"; }
	say "built the modules$([[ $flavour == debug ]] && echo " and tests/kmod") in $((SECONDS - start)) s" \
		"($(find "$obj/modinst" -name '*.ko' | wc -l) installed in ${obj#$top/}/modinst)"
fi
