#!/bin/bash
# Export the commits of build/linux above the base into patches/ (one file a commit, plus
# patches/series). With --check, change nothing: list what the tree has that patches/ lacks and
# exit 1 if there is anything.
set -euo pipefail
. "$(dirname "$0")/common.sh"

[[ -d $tree/.git ]] || die "no kernel tree at $tree; run 'make kernel-tree' first"

export_to() {
	local dir=$1
	mkdir -p "$dir"
	git -C "$tree" format-patch -q --zero-commit --no-signature --no-numbered \
		-o "$dir" base..HEAD
	# One Subject line, as a commit's subject is: format-patch folds long ones, and then
	# grep for a subject misses its patch (git am unfolds them again).
	sed -i -e '/^Subject: /{:a' -e 'N;s/\n\( .*\)$/\1/;ta' -e 'P;D}' "$dir"/*.patch 2>/dev/null || true
	(cd "$dir" && ls -1 -- *.patch 2>/dev/null || true) >"$dir/series"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export_to "$tmp/new"

if [[ ${1:-} == --check ]]; then
	bad=0
	dirty=$(git -C "$tree" status --porcelain --untracked-files=no)
	if [[ -n $dirty ]]; then
		echo "uncommitted changes in $tree (commit them there, then 'make export-patches'):"
		echo "$dirty" | sed 's/^/  /'
		bad=1
	fi
	mkdir -p "$tmp/old"
	cp "$top"/patches/*.patch "$top"/patches/series "$tmp/old/" 2>/dev/null || true
	[[ -f $tmp/old/series ]] || : >"$tmp/old/series"
	if ! diff -rq "$tmp/old" "$tmp/new" >/dev/null; then
		echo "commits in $tree that differ from patches/ (run 'make export-patches'):"
		git -C "$tree" log --format='  %h %s' base..HEAD
		bad=1
	fi
	((bad == 0)) && echo "patches/ matches $tree"
	exit $bad
fi

rm -f "$top"/patches/*.patch
mkdir -p "$top/patches"
cp "$tmp"/new/*.patch "$top/patches/" 2>/dev/null || true
cp "$tmp/new/series" "$top/patches/series"
# The tree now matches patches/: record that, so kernel-tree.sh does not re-apply.
series_patches | xargs -r sha1sum | sha1sum | cut -d' ' -f1 >"$tree/.git/cmb-p2p-series"
say "exported $(grep -c . "$top/patches/series" || true) patch(es) to patches/"
