# Shared settings of the build scripts; sourced, not run.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$top/build}
tree=$build/linux
src_tarball=${KERNEL_SOURCE:-/usr/src/linux-source-6.1.tar.xz}
# ccache's default limit (5 GB) is smaller than the objects of our kernels together (the
# Debian-shaped debug kernel, the series check, Debian's configuration): a run would evict
# what the next one needs.
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-30G}
debian_config=${DEBIAN_CONFIG:-/usr/src/linux-config-6.1/config.amd64_none_amd64.xz}
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

# Debian's own 6.1 configuration (linux-config-6.1) as OBJ/.config ($1), completed with the
# defaults of what Debian's build sets itself (BUILD_SALT, the module signing key). With
# "testbed" ($2), trimmed to the test bed's hardware: make localmodconfig with
# configs/testbed.modules keeps Debian's built-in choices and, of its modules, those only.
# The rest ($3...) is the make command, with O=OBJ.
debian_config() {
	local obj=$1 shape=$2
	shift 2
	[[ -f $debian_config ]] || die "no $debian_config: apt-get install linux-config-6.1 (make deps does)"
	xz -dc "$debian_config" >"$obj/.config"
	"$@" olddefconfig >>"$obj/config.log" 2>&1 ||
		{ cat "$obj/config.log" >&2; die "olddefconfig failed on $debian_config"; }
	[[ $shape == testbed ]] || return 0
	grep -v '^#' "$top/configs/testbed.modules" >"$obj/testbed.lsmod"
	"$@" LSMOD="$obj/testbed.lsmod" localmodconfig </dev/null >>"$obj/config.log" 2>&1 ||
		{ cat "$obj/config.log" >&2; die "localmodconfig failed on $debian_config"; }
}

# Fail unless OBJ/.config ($1) has each SYM=VALUE given (n: not set), naming the first that differs.
require_config() {
	local obj=$1 sym got
	shift
	for sym in "$@"; do
		got=$(sed -n "s/^CONFIG_${sym%=*}=//p" "$obj/.config")
		[[ ${got:-n} == "${sym#*=}" ]] ||
			die "CONFIG_${sym%=*} is '${got:-n}' in ${obj#$top/}/.config, wanted ${sym#*=}"
	done
}
