#!/bin/bash
# make nvme-cli: the nvme-cli that Debian 12 ships (source package 2.4+really2.3-3), with our
# patches from tools/nvme-cli/ (the `nvme cmb` command), built into build/nvme-cli/nvme. The
# source package comes from deb.debian.org through apt: a deb-src entry for bookworm is added
# if apt has none.
set -euo pipefail
source "$(dirname "$0")/common.sh"

version=2.4+really2.3-3
out=$build/nvme-cli
src=$out/nvme-cli-${version%-*}
patches=("$top"/tools/nvme-cli/*.patch)
sudo=""
((EUID == 0)) || sudo="sudo"

"$top/buildsys/install-deps.sh" nvme-cli

# The source, unpacked and patched once per set of patches.
stamp=$(cat "${patches[@]}" | sha256sum | cut -c1-16)
if [[ ! -f $src/.cmb-p2p-$stamp ]]; then
	mkdir -p "$out"
	if ! (cd "$out" && apt-get source --download-only -qq "nvme-cli=$version") >/dev/null 2>&1; then
		say "adding a deb-src entry for Debian 12 (bookworm) main to apt"
		printf '%s\n' "Types: deb-src" "URIs: http://deb.debian.org/debian" "Suites: bookworm" \
			"Components: main" "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" |
			$sudo tee /etc/apt/sources.list.d/cmb-p2p-deb-src.sources >/dev/null
		$sudo apt-get update -qq
		(cd "$out" && apt-get source --download-only -qq "nvme-cli=$version") \
			>"$out/apt-source.log" 2>&1 || { cat "$out/apt-source.log"
			die "apt-get source nvme-cli=$version failed: check network access to deb.debian.org"; }
	fi
	say "unpacking nvme-cli $version and applying ${#patches[@]} patch(es) from tools/nvme-cli/"
	rm -rf "$src"
	(cd "$out" && dpkg-source -x --no-check "nvme-cli_$version.dsc" >/dev/null)
	for p in "${patches[@]}"; do
		patch -s -d "$src" -p1 <"$p" || die "$p does not apply to nvme-cli $version"
	done
	touch "$src/.cmb-p2p-$stamp"
fi

[[ -f $src/.build/build.ninja ]] || meson setup -Ddocs=false "$src/.build" "$src" >"$out/meson.log" ||
	die "meson setup failed: see $out/meson.log"
ninja -C "$src/.build" nvme >"$out/ninja.log" 2>&1 || { tail -20 "$out/ninja.log"; die "build failed: $out/ninja.log"; }
ln -sfr "$src/.build/nvme" "$out/nvme"
say "built $out/nvme ($("$out/nvme" version | head -n 1))"
