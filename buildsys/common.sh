# Shared settings of the build scripts; sourced, not run.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$top/build}
tree=$build/linux
src_tarball=${KERNEL_SOURCE:-/usr/src/linux-source-6.1.tar.xz}
# Top-level kernel directories under which this repo keeps whole kernel files of its own.
kernel_dirs=(Documentation arch block drivers fs include lib mm)

die() { echo "$(basename "$0"): $*" >&2; exit 1; }
say() { echo "==> $*"; }

# The patches of patches/series, in order, one path per line.
series_patches() {
	[[ -f $top/patches/series ]] || return 0
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$top/patches/series" | while read -r p; do
		echo "$top/patches/$p"
	done
}

# Our whole kernel files, relative to the kernel tree's top.
own_kernel_files() {
	git -C "$top" ls-files -- "${kernel_dirs[@]}" 2>/dev/null
}

# Run a make command ("$@") with its output in LOG ($1), printing progress every 20 s;
# on failure show the errors and return make's status.
make_logged() {
	local log=$1 start=$SECONDS pid rc i
	shift
	"$@" >"$log" 2>&1 &
	pid=$!
	for ((i = 1; ; i++)); do
		sleep 1
		kill -0 $pid 2>/dev/null || break
		((i % 20)) || echo "    ... $((SECONDS - start)) s, $(grep -c '^  CC' "$log") files compiled"
	done
	wait $pid && return 0
	rc=$?
	grep -E -B2 -A6 'error:|Error [0-9]' "$log" | head -60 >&2
	return $rc
}
