// SPDX-License-Identifier: GPL-2.0
/*
 * p2p-copy: copy a range of one block device to another with O_DIRECT through a
 * p2pmem buffer (an NVMe CMB), so the data moves device to device; then verify
 * the destination against the source by hashing both ranges.
 *
 * The buffer comes from an mmap() of /dev/nvmeX or of a PCI device's
 * p2pmem/allocate file; with --dram it is ordinary memory, for comparison.
 * Before any I/O, the kernel's p2pdma_providers answer for every PCI function
 * under SRC and DST (the paths of a multipath head, the members of a volume)
 * must not be "none".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <liburing.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "reach.h"

enum engine { ENGINE_PSYNC, ENGINE_IO_URING };

static struct options {
	const char *src, *dst, *p2pmem;
	char p2pmem_path[512];
	bool dram, verify, fixed, reach_check;
	uint64_t size, src_off, dst_off;
	size_t chunk;
	unsigned int qd, threads;
	enum engine engine;
} opt = {
	.verify = true,
	.reach_check = true,
	.chunk = 64 << 10,
	.qd = 1,
	.threads = 1,
};

struct worker {
	pthread_t thread;
	uint64_t start, len;	/* slice of the range, relative to the offsets */
	char *buf;		/* qd chunks */
	int src_fd, dst_fd;
	/* first failure */
	const char *op;
	uint64_t op_off;
	int err;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: p2p-copy -s SRC -d DST (-p P2PMEM | --dram) [options]\n"
		"Copy SRC to DST with O_DIRECT through a p2pmem buffer, then verify DST against SRC.\n"
		"  -s, --src DEV          source block device\n"
		"  -d, --dst DEV          destination block device\n"
		"  -p, --p2pmem WHERE     buffer provider: /dev/nvmeX, nvmeX, a PCI BDF, or a\n"
		"                         .../p2pmem/allocate file\n"
		"      --dram             use ordinary memory as the buffer (baseline)\n"
		"  -n, --size BYTES       bytes to copy (default: the smaller device from the offsets)\n"
		"      --src-offset BYTES offset in SRC (default 0)\n"
		"      --dst-offset BYTES offset in DST (default 0)\n"
		"  -c, --chunk BYTES      I/O size, a multiple of 4 KiB (default 64K)\n"
		"  -q, --qd N             I/Os in flight per thread; >1 needs io_uring (default 1)\n"
		"  -t, --threads N        threads, each copying its own slice (default 1)\n"
		"  -e, --engine NAME      psync or io_uring (default: psync; io_uring with\n"
		"                         --qd > 1 or --fixed)\n"
		"      --fixed            io_uring: register the buffer (READ_FIXED, WRITE_FIXED)\n"
		"      --no-verify        skip hashing both ranges afterwards\n"
		"      --no-reach-check   copy even if the kernel says that a device under SRC\n"
		"                         or DST cannot reach the p2pmem (to see the I/O fail)\n"
		"  -h, --help             this text\n"
		"Sizes take K, M, G suffixes (powers of 1024). The buffer needs\n"
		"threads x qd x chunk bytes of p2pmem. Exit status: 0 when copied and verified,\n"
		"1 on an I/O error or a mismatch, 2 on bad usage or setup.\n");
}

static int parse_size(const char *s, uint64_t *val)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'G': case 'g': v <<= 10; /* fall through */
	case 'M': case 'm': v <<= 10; /* fall through */
	case 'K': case 'k': v <<= 10; end++; break;
	}
	if (*end)
		return -1;
	*val = v;
	return 0;
}

static __attribute__((noreturn, format(printf, 2, 3))) void die(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("p2p-copy: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t dev_size(int fd, const char *name)
{
	uint64_t bytes;
	struct stat st;

	if (fstat(fd, &st) || !S_ISBLK(st.st_mode))
		die(2, "%s is not a block device", name);
	if (ioctl(fd, BLKGETSIZE64, &bytes))
		die(2, "%s: BLKGETSIZE64: %s", name, strerror(errno));
	return bytes;
}

/* Accept nvmeX, /dev/nvmeX, a PCI BDF or a path to p2pmem/allocate. */
static const char *p2pmem_file(const char *where)
{
	char *p = opt.p2pmem_path;
	size_t n = sizeof(opt.p2pmem_path);

	if (!strncmp(where, "nvme", 4))
		snprintf(p, n, "/dev/%s", where);
	else if (strchr(where, ':') && !strchr(where, '/'))
		snprintf(p, n, "/sys/bus/pci/devices/%s/p2pmem/allocate", where);
	else
		snprintf(p, n, "%s", where);
	return p;
}

static char *map_buffer(size_t len)
{
	const char *file;
	char *buf;
	int fd;

	if (opt.dram) {
		buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (buf == MAP_FAILED)
			die(2, "cannot map %zu bytes of memory: %s", len, strerror(errno));
		return buf;
	}
	file = p2pmem_file(opt.p2pmem);
	fd = open(file, O_RDWR);
	if (fd < 0)
		die(2, "%s: %s%s", file, strerror(errno),
		    errno == ENOENT ? " (no such provider; tools/bin/p2pmem-info lists them)" :
		    errno == EAGAIN ? " (the controller is not live, e.g. resetting: retry, or map "
				      "its p2pmem/allocate, which stays open across resets)" : "");
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (buf == MAP_FAILED) {
		int e = errno;

		if (e == ENODEV)
			die(2, "%s has no published CMB/p2pmem (mmap: %s); pick a provider with "
			    "p2pmem/published = 1 (tools/bin/p2pmem-info)", file, strerror(e));
		if (e == ENOMEM)
			die(2, "%s: the p2pmem pool has no free %zu bytes (threads %u x qd %u x chunk %zu); "
			    "lower --threads, --qd or --chunk, or free other mappings "
			    "(p2pmem/available)", file, len, opt.threads, opt.qd, opt.chunk);
		die(2, "mmap %s: %s", file, strerror(e));
	}
	close(fd);
	return buf;
}

/*
 * Refuse before any I/O if the kernel says that a PCI function under SRC or DST cannot do
 * DMA to the provider's memory: the copy would fail with EREMOTEIO when it reaches it.
 */
static void check_reach(void)
{
	const char *devs[] = { opt.src, opt.dst };
	struct reach r[64];
	char prov[64];
	int n, bad = 0;

	if (reach_provider_bdf(opt.p2pmem, prov, sizeof(prov)))
		return;		/* map_buffer() names the problem */
	for (int i = 0; i < 2; i++) {
		n = reach_walk(devs[i], prov, r, 64);
		for (int j = 0; j < n && j < 64; j++) {
			if (strcmp(r[j].path, "none"))
				continue;
			fprintf(stderr, "p2p-copy: %s cannot do DMA to the p2pmem of %s: %s%s%s: %s\n",
				devs[i], prov, r[j].leaf, r[j].bdf[0] ? " on " : "", r[j].bdf,
				r[j].reasons);
			bad = 1;
		}
	}
	if (bad)
		die(2, "refused before any I/O (see p2pdma_providers in "
		    "Documentation/ABI/testing/sysfs-bus-pci); use --dram, put the devices and the "
		    "provider behind one PCIe switch, or --no-reach-check to try anyway");
}

static void fail(struct worker *w, const char *op, uint64_t off, int err)
{
	if (!w->err) {
		w->op = op;
		w->op_off = off;
		w->err = err;
	}
}

/* One full pread or pwrite; a short transfer counts as EIO. */
static int xfer(bool wr, int fd, char *buf, size_t n, uint64_t off)
{
	ssize_t r = wr ? pwrite(fd, buf, n, off) : pread(fd, buf, n, off);

	if (r < 0)
		return errno;
	return (size_t)r == n ? 0 : EIO;
}

static void copy_psync(struct worker *w)
{
	for (uint64_t done = 0; done < w->len && !w->err; done += opt.chunk) {
		size_t n = w->len - done < opt.chunk ? w->len - done : opt.chunk;
		uint64_t pos = w->start + done;
		int e;

		e = xfer(false, w->src_fd, w->buf, n, opt.src_off + pos);
		if (e) {
			fail(w, "read", opt.src_off + pos, e);
			break;
		}
		e = xfer(true, w->dst_fd, w->buf, n, opt.dst_off + pos);
		if (e)
			fail(w, "write", opt.dst_off + pos, e);
	}
}

/* The read or write of slot s: len bytes at pos of the worker's range. */
static void prep_slot(struct io_uring *ring, struct worker *w, unsigned int s, bool write,
		      size_t len, uint64_t pos)
{
	static const int ops[2][2] = {
		{ IORING_OP_READ, IORING_OP_WRITE },
		{ IORING_OP_READ_FIXED, IORING_OP_WRITE_FIXED },	/* --fixed: buffer 0 */
	};
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	io_uring_prep_rw(ops[opt.fixed][write], sqe, write ? w->dst_fd : w->src_fd,
			 w->buf + s * opt.chunk, len, (write ? opt.dst_off : opt.src_off) + pos);
	io_uring_sqe_set_data64(sqe, (uint64_t)s << 1 | write);
}

/*
 * Each of qd slots reads a chunk into its part of the buffer, then writes it;
 * the user_data of a request is its slot, its low bit whether it is the write.
 */
static void copy_io_uring(struct worker *w)
{
	uint64_t next = 0, *slot_pos = calloc(opt.qd, sizeof(*slot_pos));
	size_t *slot_len = calloc(opt.qd, sizeof(*slot_len));
	struct io_uring ring;
	unsigned int inflight = 0;
	int e;

	if (!slot_pos || !slot_len)
		die(2, "out of memory");
	e = io_uring_queue_init(opt.qd * 2, &ring, 0);
	if (e)
		die(2, "io_uring_queue_init: %s", strerror(-e));
	if (opt.fixed) {
		struct iovec iov = { w->buf, opt.qd * opt.chunk };

		e = io_uring_register_buffers(&ring, &iov, 1);
		if (e)
			die(2, "registering the buffer (--fixed): %s%s", strerror(-e),
			    e == -ENOMEM ? " (RLIMIT_MEMLOCK, ulimit -l, for --dram)" : "");
	}

	for (;;) {
		struct io_uring_cqe *cqe;
		uint64_t ud;
		unsigned int s;

		/* Fill idle slots with reads of the next chunks. */
		for (s = 0; inflight < opt.qd && next < w->len && !w->err; s++) {
			if (slot_len[s])
				continue;
			slot_pos[s] = w->start + next;
			slot_len[s] = w->len - next < opt.chunk ? w->len - next : opt.chunk;
			next += slot_len[s];
			prep_slot(&ring, w, s, false, slot_len[s], slot_pos[s]);
			inflight++;
		}
		if (!inflight)
			break;
		e = io_uring_submit_and_wait(&ring, 1);
		if (e < 0 && e != -EINTR)
			die(2, "io_uring_submit: %s", strerror(-e));
		if (io_uring_peek_cqe(&ring, &cqe))
			continue;
		ud = io_uring_cqe_get_data64(cqe);
		s = ud >> 1;
		if (cqe->res < 0 || (size_t)cqe->res != slot_len[s]) {
			e = cqe->res < 0 ? -cqe->res : EIO;
			fail(w, ud & 1 ? "write" : "read",
			     (ud & 1 ? opt.dst_off : opt.src_off) + slot_pos[s], e);
			slot_len[s] = 0;
			inflight--;
		} else if (ud & 1) {
			slot_len[s] = 0;
			inflight--;
		} else {
			prep_slot(&ring, w, s, true, slot_len[s], slot_pos[s]);
		}
		io_uring_cqe_seen(&ring, cqe);
	}
	io_uring_queue_exit(&ring);
	free(slot_pos);
	free(slot_len);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	if (opt.engine == ENGINE_PSYNC)
		copy_psync(w);
	else
		copy_io_uring(w);
	return NULL;
}

/* 64-bit hash of a range: one multiply-xorshift round per word, position-dependent. */
static uint64_t hash_words(uint64_t h, const uint64_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h = (h ^ p[i]) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	return h;
}

/*
 * Hash both ranges, reading them with O_DIRECT into ordinary memory (not
 * through the p2pmem buffer), and find the first differing byte.
 */
static int verify(int src_fd, int dst_fd)
{
	const size_t piece = 1 << 20;
	uint64_t hs = 0, hd = 0, bad = UINT64_MAX;
	char *a, *b;

	if (posix_memalign((void **)&a, 4096, piece) || posix_memalign((void **)&b, 4096, piece))
		die(2, "out of memory");
	for (uint64_t off = 0; off < opt.size; off += piece) {
		size_t n = opt.size - off < piece ? opt.size - off : piece;
		int e;

		e = xfer(false, src_fd, a, n, opt.src_off + off);
		if (e)
			die(1, "verify: read %s at %" PRIu64 ": %s", opt.src, opt.src_off + off, strerror(e));
		e = xfer(false, dst_fd, b, n, opt.dst_off + off);
		if (e)
			die(1, "verify: read %s at %" PRIu64 ": %s", opt.dst, opt.dst_off + off, strerror(e));
		hs = hash_words(hs, (uint64_t *)a, n / 8);
		hd = hash_words(hd, (uint64_t *)b, n / 8);
		if (bad == UINT64_MAX && memcmp(a, b, n))
			for (size_t i = 0; i < n; i++)
				if (a[i] != b[i]) {
					bad = off + i;
					break;
				}
	}
	free(a);
	free(b);
	printf("verify: source hash %016" PRIx64 ", destination hash %016" PRIx64 ": %s\n", hs, hd,
	       bad == UINT64_MAX ? "match" : "MISMATCH");
	if (bad != UINT64_MAX) {
		printf("verify: first difference at byte %" PRIu64 " of the range\n", bad);
		return 1;
	}
	return 0;
}

static void parse_args(int argc, char **argv)
{
	enum { O_DRAM = 256, O_SRC_OFF, O_DST_OFF, O_NO_VERIFY, O_FIXED, O_NO_REACH };
	static const struct option longopts[] = {
		{ "src", required_argument, NULL, 's' },
		{ "dst", required_argument, NULL, 'd' },
		{ "p2pmem", required_argument, NULL, 'p' },
		{ "dram", no_argument, NULL, O_DRAM },
		{ "size", required_argument, NULL, 'n' },
		{ "src-offset", required_argument, NULL, O_SRC_OFF },
		{ "dst-offset", required_argument, NULL, O_DST_OFF },
		{ "chunk", required_argument, NULL, 'c' },
		{ "qd", required_argument, NULL, 'q' },
		{ "threads", required_argument, NULL, 't' },
		{ "engine", required_argument, NULL, 'e' },
		{ "no-verify", no_argument, NULL, O_NO_VERIFY },
		{ "fixed", no_argument, NULL, O_FIXED },
		{ "no-reach-check", no_argument, NULL, O_NO_REACH },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *engine = NULL;
	uint64_t v;
	int c;

	while ((c = getopt_long(argc, argv, "s:d:p:n:c:q:t:e:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's': opt.src = optarg; break;
		case 'd': opt.dst = optarg; break;
		case 'p': opt.p2pmem = optarg; break;
		case 'e': engine = optarg; break;
		case O_DRAM: opt.dram = true; break;
		case O_NO_VERIFY: opt.verify = false; break;
		case O_FIXED: opt.fixed = true; break;
		case O_NO_REACH: opt.reach_check = false; break;
		case 'h': usage(stdout); exit(0);
		case 'n': case O_SRC_OFF: case O_DST_OFF: case 'c': case 'q': case 't':
			if (parse_size(optarg, &v))
				die(2, "bad number '%s' (use e.g. 4096, 64K, 16M)", optarg);
			if (c == 'n')
				opt.size = v;
			else if (c == O_SRC_OFF)
				opt.src_off = v;
			else if (c == O_DST_OFF)
				opt.dst_off = v;
			else if (c == 'c')
				opt.chunk = v;
			else if (c == 'q')
				opt.qd = v;
			else
				opt.threads = v;
			break;
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc || !opt.src || !opt.dst) {
		usage(stderr);
		exit(2);
	}
	if (!opt.p2pmem == !opt.dram)
		die(2, "give either --p2pmem WHERE (the CMB) or --dram");
	if (!opt.chunk || opt.chunk % 4096)
		die(2, "--chunk %zu is not a multiple of 4096 (O_DIRECT and p2pmem work in pages)", opt.chunk);
	if (opt.src_off % 4096 || opt.dst_off % 4096)
		die(2, "--src-offset and --dst-offset must be multiples of 4096");
	if (!opt.qd || !opt.threads || opt.qd > 1024 || opt.threads > 64)
		die(2, "--qd must be 1..1024 and --threads 1..64");
	if (!engine)
		opt.engine = opt.qd > 1 || opt.fixed ? ENGINE_IO_URING : ENGINE_PSYNC;
	else if (!strcmp(engine, "psync"))
		opt.engine = ENGINE_PSYNC;
	else if (!strcmp(engine, "io_uring"))
		opt.engine = ENGINE_IO_URING;
	else
		die(2, "unknown --engine %s (psync, io_uring)", engine);
	if (opt.engine == ENGINE_PSYNC && opt.qd > 1)
		die(2, "--qd %u needs --engine io_uring (psync has one I/O in flight)", opt.qd);
	if (opt.engine == ENGINE_PSYNC && opt.fixed)
		die(2, "--fixed needs --engine io_uring (psync has no registered buffers)");
}

int main(int argc, char **argv)
{
	uint64_t src_size, dst_size, slice;
	struct worker *workers;
	int src_fd, dst_fd, rc = 0;
	size_t per_thread;
	double t0, secs;
	char *buf;

	parse_args(argc, argv);

	src_fd = open(opt.src, O_RDONLY | O_DIRECT);
	if (src_fd < 0)
		die(2, "%s: %s", opt.src, strerror(errno));
	/* Read and write: the verification reads the destination back. */
	dst_fd = open(opt.dst, O_RDWR | O_DIRECT);
	if (dst_fd < 0)
		die(2, "%s: %s", opt.dst, strerror(errno));
	src_size = dev_size(src_fd, opt.src);
	dst_size = dev_size(dst_fd, opt.dst);
	if (opt.src_off >= src_size || opt.dst_off >= dst_size)
		die(2, "offset beyond the end of the device");
	if (!opt.size) {
		opt.size = src_size - opt.src_off;
		if (dst_size - opt.dst_off < opt.size)
			opt.size = dst_size - opt.dst_off;
	}
	if (opt.size % 4096)
		die(2, "--size %" PRIu64 " is not a multiple of 4096", opt.size);
	if (opt.src_off + opt.size > src_size || opt.dst_off + opt.size > dst_size)
		die(2, "--size %" PRIu64 " runs past the end of %s", opt.size,
		    opt.src_off + opt.size > src_size ? opt.src : opt.dst);

	if (!opt.dram && opt.reach_check)
		check_reach();
	per_thread = opt.qd * opt.chunk;
	buf = map_buffer(per_thread * opt.threads);
	printf("p2p-copy: %s -> %s through %s, %" PRIu64 " bytes, chunk %zu, qd %u, %u thread(s), %s\n",
	       opt.src, opt.dst, opt.dram ? "DRAM" : opt.p2pmem_path, opt.size, opt.chunk, opt.qd,
	       opt.threads, opt.engine == ENGINE_PSYNC ? "psync" : opt.fixed ? "io_uring, registered buffer" : "io_uring");

	/* Slices are whole chunks; the last thread takes the rest. */
	slice = (opt.size / opt.threads + opt.chunk - 1) / opt.chunk * opt.chunk;
	workers = calloc(opt.threads, sizeof(*workers));
	if (!workers)
		die(2, "out of memory");
	t0 = now();
	for (unsigned int i = 0; i < opt.threads; i++) {
		struct worker *w = &workers[i];

		w->start = i * slice < opt.size ? i * slice : opt.size;
		w->len = i == opt.threads - 1 ? opt.size - w->start :
			 (opt.size - w->start < slice ? opt.size - w->start : slice);
		w->buf = buf + i * per_thread;
		w->src_fd = src_fd;
		w->dst_fd = dst_fd;
		if (pthread_create(&w->thread, NULL, worker_main, w))
			die(2, "cannot start thread %u", i);
	}
	for (unsigned int i = 0; i < opt.threads; i++)
		pthread_join(workers[i].thread, NULL);
	secs = now() - t0;

	for (unsigned int i = 0; i < opt.threads; i++) {
		struct worker *w = &workers[i];

		if (!w->err)
			continue;
		fprintf(stderr, "p2p-copy: %s %s at byte %" PRIu64 " failed: %s\n", w->op,
			!strcmp(w->op, "read") ? opt.src : opt.dst, w->op_off, strerror(w->err));
		if (w->err == EREMOTEIO)
			fprintf(stderr, "p2p-copy: the device cannot DMA to or from this p2pmem: its queue "
				"has no P2PDMA support or no P2P path to the provider (put both behind one "
				"PCIe switch, or use --dram)\n");
		rc = 1;
	}
	if (rc) {
		printf("result: FAILED (I/O error)\n");
		return 1;
	}
	printf("copied %" PRIu64 " bytes in %.3f s: %.1f MB/s\n", opt.size, secs,
	       opt.size / secs / 1e6);
	if (opt.verify && verify(src_fd, dst_fd)) {
		printf("result: FAILED (destination differs from source)\n");
		return 1;
	}
	printf("result: OK (%s)\n", opt.verify ? "verified" : "not verified");
	munmap(buf, per_thread * opt.threads);
	return 0;
}
