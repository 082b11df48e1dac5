#!/bin/bash
# Install the Debian packages a make target needs, quietly when they are there already.
# Usage: buildsys/install-deps.sh GROUP...   (groups: kernel vm tools bench series deb nvme-cli)
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

declare -A group=(
	[kernel]="linux-source-6.1 linux-config-6.1 xz-utils build-essential bc bison flex libelf-dev libssl-dev cpio ccache kmod rsync git sparse python3-ply"
	[vm]="qemu-system-x86 busybox-static bash bash-builtins coreutils util-linux procps fio nvme-cli python3 pciutils mdadm dmsetup fdisk"
	[tools]="build-essential liburing-dev libaio-dev libssl-dev"
	[bench]="python3-matplotlib"
	[series]="sparse python3-ply python3-git"
	[deb]="dpkg-dev fakeroot debhelper lsb-release"
	[nvme-cli]="dpkg-dev patch meson ninja-build pkg-config libnvme-dev libjson-c-dev libssl-dev libdbus-1-dev zlib1g-dev"
)

want=()
for g in "$@"; do
	[[ -n ${group[$g]:-} ]] || { echo "install-deps: unknown group '$g' (known: ${!group[*]})" >&2; exit 2; }
	for p in ${group[$g]}; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || want+=("$p")
	done
done
((${#want[@]})) || exit 0

echo "install-deps: installing ${want[*]}"
sudo=""
((EUID == 0)) || sudo="sudo env DEBIAN_FRONTEND=noninteractive"
if ! $sudo apt-get install -y -qq "${want[@]}" >/dev/null 2>&1; then
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq "${want[@]}" >/dev/null || {
		echo "install-deps: apt-get could not install: ${want[*]}" >&2
		echo "install-deps: check /etc/apt/sources.list (Debian 12 'bookworm' main) and run 'apt-get update'" >&2
		exit 1
	}
fi
