#!/bin/bash
# make deb: installable Debian packages of the series, linux-image-REL and linux-headers-REL,
# built with the kernel's own bindeb-pkg from Debian's own 6.1 configuration with
# CONFIG_PCI_P2PDMA=y. The kernel release says it is ours: 6.1.192-cmb-p2p.
#
#   buildsys/deb-build.sh [debian|testbed]
#
#   debian   Debian's configuration as it is but for P2PDMA, and without debug information
#            and BTF (they need pahole and double the build time); DEB_DEBUG_INFO=1 keeps
#            them as Debian has them (apt-get install dwarves). Hours on two cores.
#   testbed  the same trimmed to the test bed's hardware (localmodconfig with
#            configs/testbed.modules), release 6.1.192-cmb-p2p-testbed: the package that
#            make deb-boot boots in the test bed, built in well under an hour.
#
# Objects in build/obj-deb-VARIANT, packages in build/deb/VARIANT/. Debian's linux-libc-dev, which
# bindeb-pkg also writes, is left out: a host keeps its distribution's.
set -euo pipefail
. "$(dirname "$0")/common.sh"

variant=${1:-debian}
case $variant in
debian) localversion=-cmb-p2p ;;
testbed) localversion=-cmb-p2p-testbed ;;
*) die "variant '$variant': debian or testbed" ;;
esac
[[ -e $tree/.git ]] || die "no kernel tree in $tree: run 'make kernel-tree' first"
obj=$build/obj-deb-$variant
out=$build/deb/$variant
mkdir -p "$obj" "$out"

kmake=(make -C "$tree" O="$obj" ARCH=x86_64 -j"$(nproc)")
command -v ccache >/dev/null && kmake+=(CC="ccache gcc" HOSTCC="ccache gcc") && export CCACHE_BASEDIR=$top

stamp=$obj/.config.inputs
inputs="$(md5sum "$debian_config" "$top/configs/testbed.modules" "$0") ${DEB_DEBUG_INFO:-0}"
if [[ ! -f $obj/.config || $(cat "$stamp" 2>/dev/null) != "$inputs" ]]; then
	say "configuring: Debian's ${debian_config##*/}$([[ $variant == testbed ]] &&
		echo ", localmodconfig with configs/testbed.modules"), PCI_P2PDMA=y, release suffix $localversion"
	: >"$obj/config.log"
	debian_config "$obj" "$variant" "${kmake[@]}"
	cfg=("$tree/scripts/config" --file "$obj/.config" --enable PCI_P2PDMA --set-str LOCALVERSION "$localversion")
	if [[ ${DEB_DEBUG_INFO:-0} != 1 ]]; then
		cfg+=(--disable DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT --enable DEBUG_INFO_NONE --disable DEBUG_INFO_BTF)
	fi
	"${cfg[@]}"
	"${kmake[@]}" olddefconfig >>"$obj/config.log" 2>&1 || { cat "$obj/config.log" >&2; die "olddefconfig failed"; }
	require_config "$obj" PCI_P2PDMA=y NVME_MULTIPATH=y NVME_CORE=m BLK_DEV_NVME=m INTEL_IOMMU=y
	echo "$inputs" >"$stamp"
fi

# The package's version: the kernel's, then ours and the number of commits of this repo, so
# that a newer build of the series upgrades an older one.
# (make kernelrelease reads the configuration's suffix only after a build has synced it.)
version=$("${kmake[@]}" -s kernelversion)
release=$version$localversion
pkgversion=$version-1cmbp2p$(git -C "$top" rev-list --count HEAD 2>/dev/null || echo 0)
say "building linux-image-$release and linux-headers-$release, version $pkgversion" \
	"(${obj#$top/}, log: build.log; progress every 20 s)"
start=$SECONDS
rm -f "$build"/*.deb "$build"/*.buildinfo "$build"/*.changes
# LOCALVERSION= on the command line: no "+" for a work tree that is not at a tag.
make_logged "$obj/build.log" "${kmake[@]}" LOCALVERSION= KDEB_PKGVERSION="$pkgversion" \
	KDEB_CHANGELOG_DIST=bookworm KDEB_COMPRESS=xz bindeb-pkg ||
	die "the package build failed (full log: $obj/build.log)"
[[ $(cat "$obj/include/config/kernel.release") == "$release" ]] ||
	die "the kernel built is $(cat "$obj/include/config/kernel.release"), not $release"
rm -f "$out"/*.deb
# (linux-image-RELEASE-dbg too, when DEB_DEBUG_INFO=1 kept the debug information.)
mv "$build"/linux-image-"$release"*_*.deb "$build"/linux-headers-"$release"_*.deb "$out"/
rm -f "$build"/*.deb "$build"/*.buildinfo "$build"/*.changes
say "built in $((SECONDS - start)) s on $(nproc) cores ($(grep -c '^  CC' "$obj/build.log") files compiled):"
ls -l "$out"/*.deb | awk '{ printf "    %s  %d MiB\n", $NF, $5 / 1048576 }'
