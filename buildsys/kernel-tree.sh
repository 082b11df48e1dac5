#!/bin/bash
# Make build/linux a git work tree of the base kernel with our series applied and our whole
# files linked in. Re-running is cheap: the tree is rebuilt only when patches/ changed.
set -euo pipefail
. "$(dirname "$0")/common.sh"

[[ -r $src_tarball ]] ||
	die "no kernel source at $src_tarball; install it with 'buildsys/install-deps.sh kernel' (Debian package linux-source-6.1)"

git_t() { git -C "$tree" -c user.name=cmb-p2p -c user.email=cmb-p2p@localhost "$@"; }

if [[ ! -d $tree/.git ]]; then
	say "extracting $(basename "$src_tarball") into $tree"
	rm -rf "$tree" "$tree.tmp"
	mkdir -p "$tree.tmp"
	tar -xf "$src_tarball" -C "$tree.tmp" --strip-components=1
	version=$(make -s -C "$tree.tmp" kernelversion)
	pkg=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || echo unknown)
	say "base kernel: Linux $version (Debian linux-source-6.1 $pkg)"
	git -C "$tree.tmp" init -q
	git -C "$tree.tmp" config core.autocrlf false
	# -f: Debian's .gitignore ignores everything at the top level (its packaging repo layout).
	git -C "$tree.tmp" add -A -f
	git -C "$tree.tmp" -c user.name=cmb-p2p -c user.email=cmb-p2p@localhost \
		commit -q -m "Linux $version (Debian linux-source-6.1 $pkg)"
	git -C "$tree.tmp" tag base
	mv "$tree.tmp" "$tree"
fi

# Apply the series when it differs from what was applied last.
stamp=$tree/.git/cmb-p2p-series
want=$(series_patches | xargs -r sha1sum | sha1sum | cut -d' ' -f1)
if [[ $(cat "$stamp" 2>/dev/null) != "$want" ]]; then
	if [[ -f $stamp ]]; then
		"$top/buildsys/kernel-export.sh" --check >/dev/null ||
			die "patches/ changed, but $tree has work that is not in patches/; run 'make export-patches' or commit/drop it first ('make check-exported' lists it)"
	fi
	git_t reset -q --hard base
	n=0
	while read -r p; do
		[[ -f $p ]] || die "patches/series names $(basename "$p"), which is not in patches/"
		if ! out=$(git_t am -q --3way "$p" 2>&1); then
			git_t am --abort >/dev/null 2>&1 || true
			echo "$out" >&2
			echo "--- failing hunks (git apply --check):" >&2
			git_t apply --check -v "$p" 2>&1 | grep -E '^(error|Checking|Hunk)' >&2 || true
			die "patch $(basename "$p") does not apply on top of the base and the patches before it (see the hunks above); refresh it in $tree"
		fi
		n=$((n + 1))
	done < <(series_patches)
	echo "$want" >"$stamp"
	say "kernel tree: base + $n patch(es) from patches/series"
fi

# Link our whole files into the tree; git there ignores them, so 'git status' shows only
# changes to upstream files, and an edit in the tree edits the file in this repo.
exclude=$tree/.git/info/exclude
while read -r f; do
	[[ -e $tree/$f && ! -L $tree/$f ]] && die "$f is ours but exists in the base tree as well; it belongs in a patch"
	mkdir -p "$(dirname "$tree/$f")"
	ln -sfn "$top/$f" "$tree/$f"
	grep -qxF "/$f" "$exclude" || echo "/$f" >>"$exclude"
done < <(own_kernel_files)
