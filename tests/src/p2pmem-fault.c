// SPDX-License-Identifier: GPL-2.0
/*
 * p2pmem-fault: fail, one at a time, every allocation an operation on p2pmem
 * makes, and check that each failure is clean.
 *
 *   p2pmem-fault PROVIDER map BYTES
 *   p2pmem-fault PROVIDER read|write|passthru DEV BYTES
 *   p2pmem-fault nth N FILE STRING
 *
 * The operation runs with /proc/thread-self/fail-nth set to 1, 2, 3, ...: the
 * kernel fails the Nth fault-injection point (failslab, fail_page_alloc; the
 * test enables them for GFP_KERNEL and order-0 allocations) the task reaches.
 * When fail-nth reads back non-zero the operation got through without
 * reaching that point, and every point has been failed once.
 *
 *   map       mmap BYTES of PROVIDER at an address where the mapping straddles
 *             a page-table boundary (so that an insert fails half-way), check
 *             that it reads zero, fill it, munmap it.
 *   read      O_DIRECT pread of BYTES from DEV into a mapping.
 *   write     O_DIRECT pwrite of BYTES from a mapping to DEV.
 *   passthru  an NVMe Read into a mapping with NVME_IOCTL_IO64_CMD on DEV.
 *
 * Only the call itself runs with fail-nth set. Each attempt must succeed
 * (map: memory that reads zero; I/O: the right bytes, compared with the
 * device's read into DRAM) or fail with ENOMEM (mmap) or ENOMEM/EIO (I/O),
 * and p2pmem/available (found from PROVIDER) must be back at its start value
 * after each map and at the end; map must reach at least one fault point.
 * Prints "OP: every injected fault failed cleanly" (or "OP: no allocation on
 * this path") on success, the counts on stderr; exit status 1 otherwise.
 *
 * "nth" writes STRING to FILE (opened first) with fail-nth set to N, and
 * prints the write's outcome and "reached" (the Nth point was reached and
 * failed) or "not-reached: M points" (the write reached only M < N): for
 * operations driven from a shell, e.g. unbind.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/nvme_ioctl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define PG 4096UL
#define PMD_SPAN (2UL << 20)

static const char *provider, *op, *dev;
static char avail_path[4096];
static size_t len;
static int lba_size = 512;
static int nth_fd;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "p2pmem-fault: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void set_nth(unsigned int n)
{
	char buf[16];
	int l = snprintf(buf, sizeof(buf), "%u", n);

	if (pwrite(nth_fd, buf, l, 0) != l)
		die("write fail-nth: %s (CONFIG_FAULT_INJECTION?)", strerror(errno));
}

/* Zero once the Nth point was reached (and failed); clears fail-nth. */
static unsigned int get_nth(void)
{
	char buf[16] = "";

	if (pread(nth_fd, buf, sizeof(buf) - 1, 0) <= 0)
		die("read fail-nth: %s", strerror(errno));
	set_nth(0);
	return strtoul(buf, NULL, 10);
}

/* p2pmem/available of the provider: next to allocate, or the controller's PCI device's. */
static void find_avail(void)
{
	const char *slash = strrchr(provider, '/');
	const char *base = slash ? slash + 1 : provider;

	if (!strncmp(provider, "/dev/", 5))
		snprintf(avail_path, sizeof(avail_path),
			 "/sys/class/nvme/%s/device/p2pmem/available", base);
	else
		snprintf(avail_path, sizeof(avail_path), "%.*savailable",
			 (int)(base - provider), provider);
}

static long available(void)
{
	FILE *f = fopen(avail_path, "r");
	long v = -1;

	if (!f || fscanf(f, "%ld", &v) != 1)
		die("read %s: %s", avail_path, strerror(errno));
	fclose(f);
	return v;
}

static int prov_fd, dev_fd = -1;
static char *map_p, *resv, *dram;

/*
 * Reserve twice the span around where the mapping will go, with its middle
 * 2 MiB aligned: inserting its pages then needs a new page table half-way.
 */
static void reserve(void)
{
	resv = mmap(NULL, len + 2 * PMD_SPAN, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (resv == MAP_FAILED)
		die("reserve: %s", strerror(errno));
	map_p = (char *)((((uintptr_t)resv + PMD_SPAN + len / 2) & ~(PMD_SPAN - 1)) - len / 2);
}

/* Fill with a pattern that differs from one attempt to the next. */
static void fill(char *p, unsigned int n)
{
	uint64_t *q = (uint64_t *)p;

	for (size_t i = 0; i < len / 8; i++)
		q[i] = (i + ((uint64_t)n << 40)) * 0x9e3779b97f4a7c15ULL;
}

static void dram_io(int write)
{
	ssize_t r = write ? pwrite(dev_fd, dram, len, 0) : pread(dev_fd, dram, len, 0);

	if (r != (ssize_t)len)
		die("%s %s from DRAM: %s", write ? "write" : "read", dev,
		    r < 0 ? strerror(errno) : "short");
}

/*
 * An NVMe Read into buf: its length, or -1 with errno set. A status from the
 * controller is not an allocation failure: it reads as a wrong result (0).
 */
static int passthru_read(char *buf)
{
	struct nvme_passthru_cmd64 cmd = {
		.opcode = 0x02,
		.nsid = ioctl(dev_fd, NVME_IOCTL_ID),
		.addr = (uintptr_t)buf,
		.data_len = len,
		.cdw12 = len / lba_size - 1,
	};
	int ret = ioctl(dev_fd, NVME_IOCTL_IO64_CMD, &cmd);

	if (ret > 0)
		fprintf(stderr, "%s: NVMe status %#x\n", op, ret);
	return ret < 0 ? -1 : ret ? 0 : (int)len;
}

/* Set-up before an attempt, no fault injected. */
static void prepare(unsigned int n)
{
	if (!strcmp(op, "map"))
		reserve();
	else if (!strcmp(op, "write"))
		fill(map_p, n);
	else	/* The device holds what was written last: the mapping must change. */
		memset(map_p, 0xee, len);
}

/* The operation, with fault injection on: 0 or an errno (-1: short I/O). */
static int attempt(void)
{
	ssize_t r;

	if (!strcmp(op, "map")) {
		char *p = mmap(map_p, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
			       prov_fd, 0);

		return p == MAP_FAILED ? errno : 0;
	}
	if (!strcmp(op, "write"))
		r = pwrite(dev_fd, map_p, len, 0);
	else if (!strcmp(op, "read"))
		r = pread(dev_fd, map_p, len, 0);
	else
		r = passthru_read(map_p);
	return r < 0 ? errno : r != (ssize_t)len ? -1 : 0;
}

/* After a successful attempt, no fault injected: were the right bytes moved? */
static int verify(unsigned int n)
{
	if (!strcmp(op, "map")) {
		for (size_t i = 0; i < len; i++)
			if (map_p[i])
				return -1;
		fill(map_p, n);
		return 0;
	}
	dram_io(0);
	return memcmp(map_p, dram, len) ? -1 : 0;
}

/* After each attempt of map: unmap, and the pool must be whole again. */
static void cleanup(void)
{
	if (!strcmp(op, "map"))
		munmap(resv, len + 2 * PMD_SPAN);
}

static int allowed(int e)
{
	if (e == 0 || e == ENOMEM)
		return 1;
	/* A failed DMA mapping completes the request with BLK_STS_IOERR. */
	return strcmp(op, "map") && e == EIO;
}

static int run(void)
{
	int io = strcmp(op, "map") != 0, absorbed = 0, failed = 0;
	unsigned int n;
	long start;

	prov_fd = open(provider, O_RDWR);
	if (prov_fd < 0)
		die("open %s: %s", provider, strerror(errno));
	find_avail();
	start = available();
	if (io) {
		dev_fd = open(dev, O_RDWR | O_DIRECT);
		if (dev_fd < 0 || ioctl(dev_fd, BLKSSZGET, &lba_size) ||
		    posix_memalign((void **)&dram, PG, len))
			die("open %s: %s", dev, strerror(errno));
		map_p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, prov_fd, 0);
		if (map_p == MAP_FAILED)
			die("mmap %s: %s", provider, strerror(errno));
		/* Known contents on the device first. */
		memset(dram, 0x5c, len);
		dram_io(1);
		/*
		 * The first P2P I/O of a device pair caches its map type (an
		 * allocation): do it before the sweep, so that the faults do
		 * not depend on what ran before.
		 */
		prepare(0);
		if (attempt())
			die("%s %s failed without fault injection", op, dev);
	}
	for (n = 1;; n++) {
		int e, reached;

		prepare(n);
		set_nth(n);
		e = attempt();
		reached = get_nth() == 0;
		if (!e)
			e = verify(n);
		cleanup();
		if (e < 0 || !allowed(e)) {
			fprintf(stderr, "%s: fault %u: %s\n", op, n,
				e < 0 ? "wrong data or length" : strerrorname_np(e));
			return 1;
		}
		if (!io && available() != start) {
			fprintf(stderr, "%s: fault %u: available %ld, was %ld\n", op, n,
				available(), start);
			return 1;
		}
		if (!reached) {
			if (e)
				die("%s failed (%s) without an injected fault", op, strerrorname_np(e));
			break;
		}
		e ? failed++ : absorbed++;
	}
	if (io)
		munmap(map_p, len);
	if (available() != start) {
		fprintf(stderr, "%s: available %ld at the end, was %ld\n", op, available(), start);
		return 1;
	}
	if (!io && n == 1) {
		fprintf(stderr, "%s: no fault point reached: fault injection not armed?\n", op);
		return 1;
	}
	fprintf(stderr, "%s: %u faults injected: %d failed the call, %d were absorbed\n",
		op, n - 1, failed, absorbed);
	/* A small synchronous O_DIRECT write allocates nothing (on-stack bio, PRP fast path). */
	if (n == 1)
		printf("%s: no allocation on this path\n", op);
	else
		printf("%s: every injected fault failed cleanly\n", op);
	return 0;
}

/* nth N FILE STRING */
static int write_nth(char **argv)
{
	unsigned int n = strtoul(argv[2], NULL, 10), left;
	int fd = open(argv[3], O_WRONLY);
	ssize_t r;

	if (fd < 0)
		die("open %s: %s", argv[3], strerror(errno));
	set_nth(n);
	r = write(fd, argv[4], strlen(argv[4]));
	left = get_nth();
	if (r < 0)
		printf("%s ", strerrorname_np(errno));
	else
		printf("ok ");
	if (left)
		printf("not-reached: %u points\n", n - left);
	else
		printf("reached\n");
	return 0;
}

int main(int argc, char **argv)
{
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (nth_fd < 0)
		die("/proc/thread-self/fail-nth: %s (needs CONFIG_FAULT_INJECTION)", strerror(errno));
	if (argc == 5 && !strcmp(argv[1], "nth"))
		return write_nth(argv);
	if (argc < 4)
		die("usage: p2pmem-fault PROVIDER map BYTES | PROVIDER read|write|passthru DEV BYTES"
		    " | nth N FILE STRING");
	provider = argv[1];
	op = argv[2];
	if (!strcmp(op, "map")) {
		len = strtoul(argv[3], NULL, 0);
	} else if (argc == 5 && (!strcmp(op, "read") || !strcmp(op, "write") ||
				 !strcmp(op, "passthru"))) {
		dev = argv[3];
		len = strtoul(argv[4], NULL, 0);
	} else {
		die("unknown operation %s", op);
	}
	if (!len || len % PG)
		die("BYTES must be a non-zero multiple of %lu", PG);
	return run();
}
