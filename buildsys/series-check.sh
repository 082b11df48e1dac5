#!/bin/bash
# Series hygiene, run by make check before the tests. The series as it would be submitted,
# patches/ with each of our whole kernel files folded into the first patch that needs it
# (a .c file: the patch that adds its .o to a Makefile; any other: the first that names its
# path), must
#   1. apply with git am to the pristine base tree (tag base of build/linux);
#   2. pass scripts/checkpatch.pl --strict, but for Signed-off-by (the submitter adds
#      theirs), the "does MAINTAINERS need updating" note on new files (p2pmem.c is
#      covered by the NVM EXPRESS DRIVER entry; ABI files are listed in no entry) and
#      "Unknown commit id": the base is a release tarball without upstream history, so
#      checkpatch cannot look up the upstream commits that backports name; and CamelCase,
#      which md's own names are (Faulty, In_sync, R1BIO_Degraded);
#   3. build after every patch, in order (bisectable), with the bench config: after each
#      patch the objects of all .c files the series touches (where a header change of the
#      series breaks its own code first; incremental, so a patch recompiles only what it
#      changed). The whole kernel at the end of the series is make check's debug kernel,
#      which links it and its modules (modpost: what nvme needs is exported); linking the
#      bench kernel here too took another ~6 min of a cold CI run. Whole directories after
#      every patch took 12-24 min (every file of mm/, block/, lib/ again after each patch
#      that touches mm.h or uio.h), full builds ~10 min a patch;
#   4. add no sparse warning (make C=2) to the .c files it touches: each file's warnings,
#      line numbers aside, are compared with the same file at the base.
# The submission series is written to build/submission/.
#   buildsys/series-check.sh [--no-build]    (--no-build: steps 1, 2 and 4 only)
set -euo pipefail
. "$(dirname "$0")/common.sh"
# The work tree and its objects sit side by side as build/linux and build/obj-bench do, so
# that ccache (CCACHE_BASEDIR) finds the same relative paths and reuses across runs.
wt=$build/series/linux
obj=$build/series/obj-bench
out=$build/submission
build_each=1
[[ ${1:-} == --no-build ]] && build_each=0

[[ -d $tree/.git ]] || die "no kernel tree in $tree: run 'make kernel-tree' first"
git_w() { git -C "$wt" -c user.name=cmb-p2p -c user.email=cmb-p2p@localhost "$@"; }
# checkpatch's SPDX check imports python3-ply and python3-git: Debian's python3 has them.
export PATH=/usr/bin:$PATH

say "series check 1/4: git am onto the pristine base, whole files folded in"
git -C "$tree" worktree remove --force "$wt" 2>/dev/null || rm -rf "$wt"
git -C "$tree" worktree prune
mkdir -p "$(dirname "$wt")"
git -C "$tree" worktree add -q --detach "$wt" base
mapfile -t own < <(own_kernel_files)
declare -A folded=()
n=0
while read -r p; do
	git_w am -q "$p" ||
		die "$(basename "$p") does not apply with git am to the base + the patches before it"
	n=$((n + 1))
	for f in "${own[@]}"; do
		[[ -z ${folded[$f]:-} ]] || continue
		key=$f
		[[ $f == *.c ]] && key=$(basename "${f%.c}").o
		# (not "| grep -q": with pipefail, git show dying of SIGPIPE would read as no match)
		[[ $(git_w show HEAD) == *"$key"* ]] || continue
		mkdir -p "$wt/$(dirname "$f")"
		cp "$top/$f" "$wt/$f"
		git_w add -f "$f"
		git_w commit -q --amend --no-edit
		folded[$f]=$(basename "$p")
		echo "    $f folded into $(basename "$p")"
	done
done < <(series_patches)
for f in "${own[@]}"; do
	[[ -n ${folded[$f]:-} ]] ||
		die "$f is ours, but no patch adds its .o to a Makefile or names it: which patch does it belong to?"
done
rm -rf "$out"
git_w format-patch -q -o "$out" base
echo "    $n patches applied; submission series in ${out#$top/}/"

say "series check 2/4: checkpatch.pl --strict"
bad=0
for p in "$out"/*.patch; do
	if ! msg=$(cd "$wt" && scripts/checkpatch.pl --strict --no-signoff \
		--ignore FILE_PATH_CHANGES,UNKNOWN_COMMIT_ID,CAMELCASE -q "$p" 2>&1); then
		echo "    $(basename "$p"):" >&2
		echo "$msg" | sed 's/^/      /' >&2
		bad=1
	fi
done
((bad == 0)) || die "checkpatch complains (above); fix the patch in $tree and export again"
echo "    $n patches clean"

commits=($(git_w rev-list --reverse base..HEAD))
if ((build_each)); then
	say "series check 3/4: build after each patch (bench config, ${obj#$top/}): the series' objects"
	for i in "${!commits[@]}"; do
		git_w checkout -q "${commits[i]}"
		echo "    $((i + 1))/$n: $(git_w log -1 --format=%s)"
		# The .c files of the series that exist at this patch, and are built in this config.
		targets=$(git_w diff --name-only base HEAD -- '*.c' | sed 's/\.c$/.o/' | tr '\n' ' ')
		KERNEL_TREE=$wt KERNEL_OBJ=$obj KERNEL_TARGETS=$targets "$top/buildsys/kernel-build.sh" bench |
			sed -un 's/^    \.\.\./       .../p' ||
			die "the tree does not build after patch $((i + 1)) ($(git_w log -1 --format=%s)): the series is not bisectable"
	done
else
	say "series check 3/4: skipped (--no-build)"
fi

say "series check 4/4: sparse on the .c files the series touches"
git_w checkout -q "${commits[-1]}"
mapfile -t files < <(git_w diff --name-only base HEAD -- '*.c')
kmake=(make -C "$wt" O="$obj" ARCH=x86_64 C=2)
# Warnings of FILE with line and column numbers removed, one per line, sorted.
# (With O=, the compiler and sparse name sources by their absolute path.)
sparse_of() {
	"${kmake[@]}" "${1%.c}.o" 2>&1 | grep -E "(^|/)$1:[0-9]+:[0-9]+: (warning|error):" |
		sed -E "s#^(.*/)?$1:[0-9]+:[0-9]+:#$1:#" | sort || true
}
[[ -f $obj/.config ]] || KERNEL_TREE=$wt KERNEL_OBJ=$obj "$top/buildsys/kernel-build.sh" bench >/dev/null
for f in "${files[@]}"; do sparse_of "$f" >"$obj/sparse-after.${f//\//_}"; done
git_w checkout -q base
bad=0
for f in "${files[@]}"; do
	a=$obj/sparse-after.${f//\//_}
	if [[ -f $wt/$f ]]; then sparse_of "$f"; fi >"$obj/sparse-base.${f//\//_}"
	new=$(comm -13 "$obj/sparse-base.${f//\//_}" "$a")
	if [[ -n $new ]]; then
		echo "    $f: new sparse warnings:" >&2
		echo "$new" | sed 's/^/      /' >&2
		bad=1
	else
		echo "    $f: no new warnings ($(wc -l <"$a"), all in the base too)"
	fi
done
git_w checkout -q "${commits[-1]}"
((bad == 0)) || die "sparse warns about the series (above)"
say "series check passed: $n patches apply to the base, are checkpatch clean,$( ((build_each)) && echo " build one by one,") add no sparse warning"
