// SPDX-License-Identifier: GPL-2.0
/*
 * p2pmem-case: run one use or misuse of a p2pmem mapping and print its outcome
 * on one line, "CASE: ok", "CASE: errno ENAME" or "CASE: signal SIGNAME", for
 * golden test output. Each case runs in a child process, so a signal ends only
 * the case.
 *
 *   p2pmem-case PROVIDER CASE [ARG...]
 *
 * PROVIDER is the file to mmap: /dev/nvmeX or .../p2pmem/allocate.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/nvme_ioctl.h>
#include <liburing.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PG 4096UL

static const char *provider;
static const char *case_name;
static char **args;
static int nargs;

/* The outcome of a case: 0 for ok, or an errno value. */
typedef int (*case_fn)(void);

static char *map(size_t len, int flags, off_t off)
{
	int fd = open(provider, O_RDWR);
	char *p;

	if (fd < 0)
		return MAP_FAILED;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, off);
	close(fd);
	return p;
}

#define MAP_OR_RETURN(p, len)                      \
	do {                                       \
		p = (void *)map(len, MAP_SHARED, 0); \
		if (p == MAP_FAILED)               \
			return errno;              \
	} while (0)

static unsigned long arg_ul(int i)
{
	if (i >= nargs) {
		fprintf(stderr, "p2pmem-case: missing argument %d\n", i + 1);
		exit(2);
	}
	return strtoul(args[i], NULL, 0);
}

static int c_map_shared(void)
{
	char *p;

	MAP_OR_RETURN(p, 16 * PG);
	return munmap(p, 16 * PG) ? errno : 0;
}

static int c_map_private(void)
{
	return map(PG, MAP_PRIVATE, 0) == MAP_FAILED ? errno : 0;
}

static int c_map_offset(void)
{
	return map(PG, MAP_SHARED, PG) == MAP_FAILED ? errno : 0;
}

static int c_map_zero_length(void)
{
	return map(0, MAP_SHARED, 0) == MAP_FAILED ? errno : 0;
}

/* ARG: bytes, more than the pool has. */
static int c_map_len(void)
{
	return map(arg_ul(0), MAP_SHARED, 0) == MAP_FAILED ? errno : 0;
}

/* A fresh mapping reads as zeroes, even after a previous user wrote to it. */
static int c_zeroed(void)
{
	size_t len = arg_ul(0);
	char *p;

	MAP_OR_RETURN(p, len);
	memset(p, 0xa5, len);
	munmap(p, len);
	MAP_OR_RETURN(p, len);
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return EILSEQ;
	return 0;
}

static int c_write_read(void)
{
	size_t len = 64 * PG;
	uint64_t *p;

	MAP_OR_RETURN(p, len);
	for (size_t i = 0; i < len / 8; i++)
		p[i] = i * 0x9e3779b97f4a7c15ULL;
	for (size_t i = 0; i < len / 8; i++)
		if (p[i] != i * 0x9e3779b97f4a7c15ULL)
			return EILSEQ;
	return 0;
}

/* The child of a fork sees and changes the parent's p2pmem. */
static int c_fork(void)
{
	volatile char *p;
	int status;
	pid_t pid;

	MAP_OR_RETURN(p, 4 * PG);
	p[0] = 'P';
	pid = fork();
	if (pid == 0)
		_exit(p[0] == 'P' ? (p[PG] = 'C', 0) : 1);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return ECHILD;
	return p[PG] == 'C' ? 0 : EILSEQ;
}

/* munmap of the second half: the first half stays, the second half faults. */
static int c_munmap_half(void)
{
	volatile char *p;

	MAP_OR_RETURN(p, 8 * PG);
	if (munmap((char *)p + 4 * PG, 4 * PG))
		return errno;
	p[0] = 1;
	p[4 * PG] = 1;	/* SIGSEGV: nothing is mapped there */
	return 0;
}

static int c_madv_dontneed(void)
{
	volatile char *p;

	MAP_OR_RETURN(p, 4 * PG);
	if (madvise((char *)p, 4 * PG, MADV_DONTNEED))
		return errno;
	p[0] = 1;	/* SIGBUS: the page went back to the pool */
	return 0;
}

static int c_mremap_grow(void)
{
	char *p;

	MAP_OR_RETURN(p, 4 * PG);
	return mremap(p, 4 * PG, 8 * PG, MREMAP_MAYMOVE) == MAP_FAILED ? errno : 0;
}

static int c_vmsplice(void)
{
	struct iovec iov;
	int pfd[2];
	char *p;

	MAP_OR_RETURN(p, 4 * PG);
	if (pipe(pfd))
		return errno;
	iov.iov_base = p;
	iov.iov_len = 4 * PG;
	return vmsplice(pfd[1], &iov, 1, 0) < 0 ? errno : 0;
}

/* process_vm_readv() or process_vm_writev() of the mapping, on ourselves. */
static int process_vm_access(int write)
{
	struct iovec local, remote;
	char buf[PG] = { 1 }, *p;
	ssize_t n;

	MAP_OR_RETURN(p, PG);
	local.iov_base = buf;
	local.iov_len = PG;
	remote.iov_base = p;
	remote.iov_len = PG;
	n = write ? process_vm_writev(getpid(), &local, 1, &remote, 1, 0) :
		    process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	return n < 0 ? errno : 0;
}

static int c_process_vm_readv(void)
{
	return process_vm_access(0);
}

static int c_process_vm_writev(void)
{
	return process_vm_access(1);
}

static int c_proc_pid_mem(void)
{
	char buf[PG], *p;
	int fd;

	MAP_OR_RETURN(p, PG);
	fd = open("/proc/self/mem", O_RDONLY);
	if (fd < 0)
		return errno;
	return pread(fd, buf, PG, (off_t)(uintptr_t)p) < 0 ? errno : 0;
}

/* PTRACE_PEEKDATA or PTRACE_POKEDATA of a child's copy of the mapping. */
static int ptrace_access(int request)
{
	int status, err = 0;
	char *p;
	pid_t pid;

	MAP_OR_RETURN(p, PG);
	pid = fork();
	if (pid == 0) {
		raise(SIGSTOP);
		_exit(0);
	}
	waitpid(pid, &status, WUNTRACED);
	if (ptrace(PTRACE_ATTACH, pid, 0, 0))
		return errno;
	waitpid(pid, &status, 0);
	errno = 0;
	if (ptrace(request, pid, p, 0) == -1 && errno)
		err = errno;
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return err;
}

static int c_ptrace_peek(void)
{
	return ptrace_access(PTRACE_PEEKDATA);
}

static int c_ptrace_poke(void)
{
	return ptrace_access(PTRACE_POKEDATA);
}

/* io_uring buffer registration: by address, without a pin (nvme/042 uses it). */
static int c_uring_register(void)
{
	struct io_uring ring;
	struct iovec iov;
	int ret;

	MAP_OR_RETURN(iov.iov_base, 4 * PG);
	iov.iov_len = 4 * PG;
	ret = io_uring_queue_init(4, &ring, 0);
	if (ret)
		return -ret;
	ret = io_uring_register_buffers(&ring, &iov, 1);
	io_uring_queue_exit(&ring);
	return -ret;
}

/* ARG: a file. Buffered write() from the mapping, read() back into it. */
static int c_buffered(void)
{
	size_t len = 8 * PG;
	char *p;
	int fd;

	MAP_OR_RETURN(p, 2 * len);
	for (size_t i = 0; i < len; i++)
		p[i] = (char)(i * 7 + 1);
	fd = open(args[0], O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return errno;
	if (pwrite(fd, p, len, 0) != (ssize_t)len || pread(fd, p + len, len, 0) != (ssize_t)len)
		return errno ? errno : EIO;
	close(fd);
	return memcmp(p, p + len, len) ? EILSEQ : 0;
}

/* ARG: a block device. O_DIRECT write from the mapping (pages of 1 KiB pattern). */
static int c_direct_write(void)
{
	size_t len = 16 * PG;
	char *p;
	int fd;

	MAP_OR_RETURN(p, len);
	memset(p, 0x5a, len);
	fd = open(args[0], O_WRONLY | O_DIRECT);
	if (fd < 0)
		return errno;
	return pwrite(fd, p, len, 0) < 0 ? errno : 0;
}

/* ARG: a block device. O_DIRECT pread of len bytes into the mapping at offset off. */
static int direct_read_at(size_t off, size_t len)
{
	char *p;
	int fd;

	MAP_OR_RETURN(p, 4 * PG);
	fd = open(args[0], O_RDONLY | O_DIRECT);
	if (fd < 0)
		return errno;
	return pread(fd, p + off, len, 0) < 0 ? errno : 0;
}

/* A buffer not aligned to the block size */
static int c_direct_misaligned(void)
{
	return direct_read_at(1, PG);
}

static int c_direct_read(void)
{
	return direct_read_at(0, 4 * PG);
}

/* A length that is not a multiple of the block size */
static int c_direct_odd_length(void)
{
	return direct_read_at(0, PG + 100);
}

/* mremap to another address, same size: the pages move with their data. */
static int c_mremap_move(void)
{
	char *p, *q, *to;

	MAP_OR_RETURN(p, 4 * PG);
	memset(p, 0x3c, 4 * PG);
	to = mmap(NULL, 4 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (to == MAP_FAILED)
		return errno;
	q = mremap(p, 4 * PG, 4 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, to);
	if (q == MAP_FAILED)
		return errno;
	for (size_t i = 0; i < 4 * PG; i++)
		if (q[i] != 0x3c)
			return EILSEQ;
	return 0;
}

/* mremap to a smaller size: allowed, the rest goes back to the pool. */
static int c_mremap_shrink(void)
{
	volatile char *p;

	MAP_OR_RETURN(p, 4 * PG);
	if (mremap((char *)p, 4 * PG, PG, 0) == MAP_FAILED)
		return errno;
	p[0] = 1;
	return 0;
}

static int c_mprotect_exec(void)
{
	char *p;

	MAP_OR_RETURN(p, PG);
	return mprotect(p, PG, PROT_READ | PROT_EXEC) ? errno : 0;
}

static int c_mprotect_none(void)
{
	volatile char *p;

	MAP_OR_RETURN(p, PG);
	if (mprotect((char *)p, PG, PROT_NONE))
		return errno;
	p[0] = 1;	/* SIGSEGV */
	return 0;
}

/*
 * madv-ADVICE: madvise(MADV_ADVICE) of a whole mapping; the case name gives the advice.
 * Advice that is taken must leave the mapping as it was: its bytes still there (EILSEQ).
 */
static int c_madvise(void)
{
	static const struct { const char *name; int advice; } adv[] = {
		{ "madv-free", MADV_FREE }, { "madv-remove", MADV_REMOVE },
		{ "madv-willneed", MADV_WILLNEED }, { "madv-cold", MADV_COLD },
		{ "madv-pageout", MADV_PAGEOUT }, { "madv-mergeable", MADV_MERGEABLE },
		{ "madv-hugepage", MADV_HUGEPAGE }, { "madv-populate-write", MADV_POPULATE_WRITE },
	};
	char *p;

	MAP_OR_RETURN(p, 4 * PG);
	for (size_t i = 0; i < 4 * PG; i++)
		p[i] = (char)(i * 7 + 1);
	for (size_t i = 0; i < sizeof(adv) / sizeof(adv[0]); i++) {
		if (strcmp(case_name, adv[i].name))
			continue;
		if (madvise(p, 4 * PG, adv[i].advice))
			return errno;
		for (size_t j = 0; j < 4 * PG; j++)
			if (p[j] != (char)(j * 7 + 1))
				return EILSEQ;
		return 0;
	}
	return ENOSYS;
}

/* MADV_DONTFORK: the child has no mapping there (SIGSEGV), the parent keeps it. */
static int c_madv_dontfork(void)
{
	volatile char *p;
	int status;
	pid_t pid;

	MAP_OR_RETURN(p, 4 * PG);
	if (madvise((char *)p, 4 * PG, MADV_DONTFORK))
		return errno;
	p[0] = 'P';
	pid = fork();
	if (pid == 0) {
		p[0] = 'C';
		_exit(0);
	}
	if (waitpid(pid, &status, 0) < 0)
		return errno;
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSEGV)
		return ECHILD;
	return p[0] == 'P' ? 0 : EILSEQ;
}

/* An anonymous MAP_FIXED mapping over the middle page: the pages around it stay. */
static int c_map_fixed_over(void)
{
	char *p, *mid;

	MAP_OR_RETURN(p, 3 * PG);
	memset(p, 0x77, 3 * PG);
	mid = mmap(p + PG, PG, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_SHARED | MAP_ANONYMOUS,
		   -1, 0);
	if (mid == MAP_FAILED)
		return errno;
	if (p[0] != 0x77 || p[2 * PG] != 0x77 || mid[0] != 0)
		return EILSEQ;
	return 0;
}

/* A length that is not a multiple of the page size maps whole pages. */
static int c_map_odd_length(void)
{
	volatile char *p;

	MAP_OR_RETURN(p, PG + 100);
	p[2 * PG - 1] = 1;
	return 0;
}

/* The file opened for writing only: mmap needs read access. */
static int c_open_wronly(void)
{
	int fd = open(provider, O_WRONLY);

	if (fd < 0)
		return errno;
	return mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED ? errno : 0;
}

/* Opened read-only: a read-only shared mapping works, making it writable does not. */
static int c_readonly_mprotect_write(void)
{
	int fd = open(provider, O_RDONLY);
	char *p;

	if (fd < 0)
		return errno;
	p = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return errno;
	if (p[0])
		return EILSEQ;
	return mprotect(p, PG, PROT_READ | PROT_WRITE) ? errno : 0;
}

/* read() of the file itself: nothing to read there. */
static int c_file_read(void)
{
	int fd = open(provider, O_RDONLY);
	char buf[16];

	if (fd < 0)
		return errno;
	return read(fd, buf, sizeof(buf)) < 0 ? errno : 0;
}

static int c_mlock(void)
{
	char *p;

	MAP_OR_RETURN(p, 4 * PG);
	return mlock(p, 4 * PG) ? errno : 0;
}

/* write() from the mapping into a pipe (a CPU copy), then splice() it to /dev/null. */
static int c_splice_pipe(void)
{
	int pfd[2], null;
	char *p;

	MAP_OR_RETURN(p, 4 * PG);
	if (pipe(pfd))
		return errno;
	null = open("/dev/null", O_WRONLY);
	if (null < 0)
		return errno;
	if (write(pfd[1], p, 4 * PG) != 4 * PG)
		return errno ? errno : EIO;
	return splice(pfd[0], NULL, null, NULL, 4 * PG, 0) != 4 * PG ? (errno ? errno : EIO) : 0;
}

/*
 * One NVMe Read (write = 0) or Write of len bytes at LBA 0 (512-byte LBAs),
 * with the data buffer buf in the mapping; 0 or an errno.
 */
typedef int (*passthru_fn)(struct io_uring *ring, int fd, int write, void *buf, size_t len);

/* NVME_IOCTL_IO64_CMD on a namespace block device */
static int ioctl_passthru(struct io_uring *ring, int fd, int write, void *buf, size_t len)
{
	struct nvme_passthru_cmd64 cmd = {
		.opcode = write ? 0x01 : 0x02,
		.nsid = ioctl(fd, NVME_IOCTL_ID),
		.addr = (uintptr_t)buf,
		.data_len = len,
		.cdw12 = len / 512 - 1,
	};
	int ret;

	(void)ring;
	ret = ioctl(fd, NVME_IOCTL_IO64_CMD, &cmd);
	return ret < 0 ? errno : ret ? EIO : 0;
}

/* IORING_OP_URING_CMD on a generic char device (/dev/ngXnY) */
static int uring_passthru(struct io_uring *ring, int fd, int write, void *buf, size_t len)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct nvme_uring_cmd *cmd;
	struct io_uring_cqe *cqe;
	int ret;

	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, NULL, 0, 0);
	sqe->cmd_op = NVME_URING_CMD_IO;
	/* A 128-byte SQE (IORING_SETUP_SQE128): the command fills its second half. */
	cmd = (struct nvme_uring_cmd *)sqe->cmd;
	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = write ? 0x01 : 0x02;
	cmd->nsid = ioctl(fd, NVME_IOCTL_ID);
	cmd->addr = (uintptr_t)buf;
	cmd->data_len = len;
	cmd->cdw12 = len / 512 - 1;
	io_uring_submit(ring);
	ret = io_uring_wait_cqe(ring, &cqe);
	if (ret)
		return -ret;
	ret = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return ret < 0 ? -ret : ret ? EIO : 0;
}

/*
 * ARG: source, destination, bytes: read the source into the mapping with one
 * passthrough command, write it to the destination with another. The caller
 * checks the data.
 */
static int passthru_copy(passthru_fn cmd, struct io_uring *ring)
{
	size_t len = arg_ul(2);
	int src, dst, e;
	char *p;

	MAP_OR_RETURN(p, len);
	src = open(args[0], O_RDONLY);
	dst = open(args[1], O_RDWR);
	if (src < 0 || dst < 0)
		return errno;
	e = cmd(ring, src, 0, p, len);
	return e ? e : cmd(ring, dst, 1, p, len);
}

/* ARG: a namespace block device. A passthrough read longer than the mapping. */
static int c_passthru_beyond(void)
{
	char *p;
	int fd;

	MAP_OR_RETURN(p, 4 * PG);
	fd = open(args[0], O_RDONLY);
	if (fd < 0)
		return errno;
	return ioctl_passthru(NULL, fd, 0, p, 8 * PG);
}

/* With block devices (/dev/nvmeXnY) */
static int c_passthru_copy(void)
{
	return passthru_copy(ioctl_passthru, NULL);
}

/* With generic char devices (/dev/ngXnY) */
static int c_uring_passthru_copy(void)
{
	struct io_uring ring;
	int e;

	e = io_uring_queue_init(4, &ring, IORING_SETUP_SQE128 | IORING_SETUP_CQE32);
	if (e)
		return -e;
	return passthru_copy(uring_passthru, &ring);
}

/* ARG: bytes, seconds: hold a mapping (touched) for a while, e.g. to fill the pool. */
/* Write val to the first byte of every page of a mapping. */
static void touch_pages(volatile char *p, size_t len, char val)
{
	for (size_t i = 0; i < len; i += PG)
		p[i] = val;
}

/* Create the file path, telling a waiting test that we are ready; 0 or an errno. */
static int signal_ready(const char *path)
{
	int fd = open(path, O_CREAT | O_WRONLY, 0600);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int c_hold(void)
{
	size_t len = arg_ul(0);
	volatile char *p;

	MAP_OR_RETURN(p, len);
	touch_pages(p, len, 1);
	sleep(arg_ul(1));
	return 0;
}

/*
 * ARG: bytes, ready file, go file. Map and touch, create the ready file, wait
 * for the go file (the test revokes the mapping meanwhile), then touch again:
 * SIGBUS once the mapping was revoked.
 */
static int c_revoke_touch(void)
{
	size_t len = arg_ul(0);
	volatile char *p;
	int err;

	MAP_OR_RETURN(p, len);
	touch_pages(p, len, 1);
	err = signal_ready(args[1]);
	if (err)
		return err;
	while (access(args[2], F_OK))
		usleep(20000);
	touch_pages(p, len, 2);
	return 0;
}

/*
 * ARG: seconds. Map, check that the memory is zeroed, fill, unmap, over and
 * over, until something fails (the test tears the provider down meanwhile):
 * the errno of the failing open() or mmap(), EILSEQ for a stale page, 0 if
 * nothing failed in time.
 */
/* A new mapping must be all zeroes; dirty it for the next user to check. */
static int zeroed_then_dirty(volatile char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return 0;
	memset((char *)p, 0x3c, len);
	return 1;
}

static int c_map_loop(void)
{
	time_t end = time(NULL) + arg_ul(0);
	size_t len = 16 * PG;

	while (time(NULL) < end) {
		volatile char *p;

		MAP_OR_RETURN(p, len);
		if (!zeroed_then_dirty(p, len))
			return EILSEQ;
		munmap((char *)p, len);
	}
	return 0;
}

/*
 * ARG: seconds. As map-loop, but a failed open() or mmap() does not end the
 * loop: the mmap()s of a provider that is being unbound, or is gone, keep
 * going through the allocator until the time is up. ok unless a mapping
 * was not zeroed.
 */
static sigjmp_buf retry_jmp;

static void retry_sigbus(int sig)
{
	(void)sig;
	siglongjmp(retry_jmp, 1);
}

static int c_map_retry(void)
{
	time_t end = time(NULL) + arg_ul(0);
	size_t len = 4 * PG;
	static unsigned long mapped, refused;

	/* A mapping revoked under the loop: SIGBUS, and on to the next. */
	signal(SIGBUS, retry_sigbus);
	while (time(NULL) < end) {
		static volatile char *p;

		if (sigsetjmp(retry_jmp, 1)) {
			munmap((char *)p, len);
			continue;
		}
		p = (void *)map(len, MAP_SHARED, 0);
		if (p == MAP_FAILED) {
			refused++;
			continue;
		}
		mapped++;
		if (!zeroed_then_dirty(p, len))
			return EILSEQ;
		munmap((char *)p, len);
	}
	fprintf(stderr, "map-retry: %lu mapped, %lu refused\n", mapped, refused);
	return 0;
}

/*
 * ARG: count, bytes, ready file. Set up count separate mappings of bytes each,
 * touch them, create the ready file and sleep until killed: live mappings for
 * teardown measurements.
 */
static int c_hold_maps(void)
{
	unsigned long count = arg_ul(0);
	size_t len = arg_ul(1);
	int err;

	for (unsigned long n = 0; n < count; n++) {
		volatile char *p;

		MAP_OR_RETURN(p, len);
		touch_pages(p, len, 1);
	}
	err = signal_ready(args[2]);
	if (err)
		return err;
	for (;;)
		pause();
}

/*
 * The words every page of the pool gets in sq-apart: 0xa5a5a5a5 where an SQE
 * has its namespace ID, so no word pair looks like a command to namespace 1.
 */
static void sq_pattern(volatile uint64_t *p, size_t len, int check, int *bad)
{
	for (size_t i = 0; i < len / 8; i++) {
		uint64_t v = 0xa5a5a5a500000000ULL | i;

		if (!check)
			p[i] = v;
		else if (p[i] != v)
			*bad = 1;
	}
}

struct user_range {
	char *p;
	size_t len;
	uint64_t phys;	/* the mapping's file offset */
};

/* Map the whole pool in pieces as large as it gives; returns how many. */
static int map_all(struct user_range *r, int max)
{
	size_t len = 64UL << 20;
	int n = 0;

	while (n < max && len >= PG) {
		char *p = map(len, MAP_SHARED, 0);

		if (p == MAP_FAILED) {
			len /= 2;
			continue;
		}
		r[n++] = (struct user_range){ .p = p, .len = len };
	}
	return n;
}

/*
 * Fill in the physical start of each mapping from the VMA that holds it in
 * /proc/self/maps (adjacent mappings of contiguous p2pmem may share one VMA);
 * ENOENT if one is missing.
 */
static int user_ranges_phys(struct user_range *r, int n)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int found = 0;

	if (!f)
		return errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi, off;

		if (sscanf(line, "%lx-%lx %*s %lx", &lo, &hi, &off) != 3)
			continue;
		for (int i = 0; i < n; i++)
			if ((uintptr_t)r[i].p >= lo && (uintptr_t)r[i].p < hi) {
				r[i].phys = off + ((uintptr_t)r[i].p - lo);
				found++;
			}
	}
	fclose(f);
	return found == n ? 0 : ENOENT;
}

/* Does [a, a + 64) lie in a user mapping? */
static int in_user(struct user_range *r, int n, uint64_t a)
{
	for (int i = 0; i < n; i++)
		if (a >= r[i].phys && a < r[i].phys + r[i].len)
			return 1;
	return 0;
}

/*
 * Scan the raw BAR (DEV/resourceN, the one holding the mappings) in 64-byte
 * slots: count NVMe Read/Write commands to namespace 1 inside and outside
 * the user mappings.
 */
static int scan_bar(const char *devdir, struct user_range *r, int n, long *in, long *out)
{
	char path[4096];
	volatile uint8_t *b;
	FILE *f;
	int bar = 0, fd;

	snprintf(path, sizeof(path), "%s/resource", devdir);
	f = fopen(path, "r");
	if (!f)
		return errno;
	for (;; bar++) {
		unsigned long long lo, hi, flags;

		if (fscanf(f, "%llx %llx %llx", &lo, &hi, &flags) != 3) {
			fclose(f);
			return ENOENT;
		}
		if (r[0].phys < lo || r[0].phys > hi)
			continue;
		fclose(f);
		snprintf(path, sizeof(path), "%s/resource%d", devdir, bar);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			return errno;
		b = mmap(NULL, hi - lo + 1, PROT_READ, MAP_SHARED, fd, 0);

		close(fd);
		if (b == MAP_FAILED)
			return errno;
		for (uint64_t o = 0; o < hi - lo + 1; o += 64) {
			uint32_t nsid = *(volatile uint32_t *)(b + o + 4);

			if ((b[o] == 0x01 || b[o] == 0x02) && nsid == 1)
				++*(in_user(r, n, lo + o) ? in : out);
		}
		return 0;
	}
}

/*
 * ARG: the provider's PCI device directory, ready file, go file. Map all of
 * the pool and fill it, create the ready file, wait for the go file (the
 * test does I/O meanwhile, so the driver writes commands into its SQs), then:
 * EILSEQ if a mapped byte changed, EEXIST if the raw BAR has an NVMe command
 * inside a mapping, ENOENT if it has none outside them (no SQ in the CMB to
 * tell apart), ok otherwise.
 */
static int c_sq_apart(void)
{
	struct user_range r[64];
	long in = 0, out = 0;
	int n = map_all(r, 64), bad = 0, err;

	if (!n)
		return ENOMEM;
	for (int i = 0; i < n; i++)
		sq_pattern((uint64_t *)r[i].p, r[i].len, 0, &bad);
	err = user_ranges_phys(r, n) ?: signal_ready(args[1]);
	if (err)
		return err;
	while (access(args[2], F_OK))
		usleep(20000);
	for (int i = 0; i < n; i++)
		sq_pattern((uint64_t *)r[i].p, r[i].len, 1, &bad);
	if (bad)
		return EILSEQ;
	err = scan_bar(args[0], r, n, &in, &out);
	fprintf(stderr, "sq-apart: %d mappings; commands in the BAR: %ld outside them, %ld inside\n",
		n, out, in);
	return err ?: in ? EEXIST : out ? 0 : ENOENT;
}

/*
 * Map all of the pool: every byte must read zero (EILSEQ otherwise). Then
 * fill it, so that the next run checks memory a user has written to.
 */
static int c_pool_zeroed(void)
{
	struct user_range r[64];
	int n = map_all(r, 64);

	if (!n)
		return ENOMEM;
	for (int i = 0; i < n; i++) {
		for (size_t j = 0; j < r[i].len; j++)
			if (r[i].p[j])
				return EILSEQ;
		memset(r[i].p, 0x5a, r[i].len);
	}
	return 0;
}

/*
 * Map all of the pool, fill it, unmap it and map all of it again at once:
 * the worker that clears freed p2pmem cannot have got far by then, so mmap()
 * must clear what it lacks itself. Every byte must read zero, and the pool
 * must map as whole as before (dirty memory is no reason for ENOMEM).
 */
static int c_remap_dirty(void)
{
	struct user_range r[64];
	size_t before = 0, after = 0;
	int n = map_all(r, 64);

	if (!n)
		return ENOMEM;
	for (int i = 0; i < n; i++) {
		memset(r[i].p, 0x5a, r[i].len);
		before += r[i].len;
	}
	/* All at once: the thread must not get a head start on the first. */
	for (int i = 0; i < n; i++)
		munmap(r[i].p, r[i].len);
	n = map_all(r, 64);
	for (int i = 0; i < n; i++) {
		after += r[i].len;
		for (size_t j = 0; j < r[i].len; j++)
			if (r[i].p[j])
				return EILSEQ;
	}
	return after == before ? 0 : ENOMEM;
}

/*
 * One worker of free-race: map 1-4 pages, check that they are zeroed, stamp
 * them with a token of our own, then either check the token and munmap, or
 * start an O_DIRECT read into the pages with io_uring and munmap before it
 * completes, so that the I/O holds the last reference and the page is freed
 * from the completion path. A page that two mappings share shows up as a
 * stale (non-zero) new page or a token that changed under us: EILSEQ.
 */
static int free_race_worker(int dev, unsigned int seed, time_t end)
{
	struct io_uring ring;
	unsigned long n;
	int ret;

	ret = io_uring_queue_init(4, &ring, 0);
	if (ret)
		return -ret;
	for (n = 0; time(NULL) < end; n++) {
		size_t len = (1 + rand_r(&seed) % 4) * PG;
		uint64_t token = ((uint64_t)getpid() << 32) | n;
		struct io_uring_cqe *cqe;
		volatile uint64_t *p;

		MAP_OR_RETURN(p, len);
		for (size_t i = 0; i < len / 8; i++)
			if (p[i])
				return EILSEQ;
		for (size_t i = 0; i < len / 8; i++)
			p[i] = token;
		if (n & 1) {
			sched_yield();
			for (size_t i = 0; i < len / 8; i++)
				if (p[i] != token)
					return EILSEQ;
			munmap((void *)p, len);
			continue;
		}
		io_uring_prep_read(io_uring_get_sqe(&ring), dev, (void *)p, PG,
				   (off_t)(rand_r(&seed) % 256) * PG);
		if (io_uring_submit(&ring) != 1)
			return EIO;
		munmap((void *)p, len);
		ret = io_uring_wait_cqe(&ring, &cqe);
		if (ret)
			return -ret;
		if (cqe->res != (int)PG)
			return cqe->res < 0 ? -cqe->res : EIO;
		io_uring_cqe_seen(&ring, cqe);
	}
	io_uring_queue_exit(&ring);
	return 0;
}

/*
 * ARG: seconds, block device (one that P2PDMA reaches), workers. Mapping and
 * unmapping churn in that many processes, with I/O pins, for the window in
 * which a freed page is back in the pool before the mm is done with it: the
 * first worker that fails gives its errno.
 */
static int c_free_race(void)
{
	time_t end = time(NULL) + arg_ul(0);
	unsigned long workers = arg_ul(2);
	int dev = open(args[1], O_RDONLY | O_DIRECT);
	int status, err = 0;

	if (dev < 0)
		return errno;
	for (unsigned long w = 0; w < workers; w++)
		if (fork() == 0)
			_exit(free_race_worker(dev, (unsigned int)w, end));
	while (wait(&status) > 0) {
		if (err)
			continue;
		if (WIFSIGNALED(status))
			err = EINTR;
		else if (WEXITSTATUS(status))
			err = WEXITSTATUS(status);
	}
	return err;
}

/* Read the first byte of every page of a mapping: present PTEs that are clean. */
static void read_pages(volatile char *p, size_t len)
{
	for (size_t i = 0; i < len; i += PG)
		(void)p[i];
}

/*
 * Write-protect a mapping whose PTEs are clean, so that the next store is a
 * write fault on a present page (->page_mkwrite() for a file that has one):
 * "mprotect" makes it read-only and writable again (a dirty PTE would be made
 * writable again at once), "clear-refs" resets the soft-dirty bits of the
 * whole process (as CRIU does).
 */
static int write_protect(volatile char *p, size_t len, const char *how)
{
	int fd;

	if (!strcmp(how, "mprotect"))
		return mprotect((void *)p, len, PROT_READ) ||
		       mprotect((void *)p, len, PROT_READ | PROT_WRITE) ? errno : 0;
	fd = open("/proc/self/clear_refs", O_WRONLY);
	if (fd < 0)
		return errno;
	if (write(fd, "4", 1) != 1)
		return errno;
	close(fd);
	return 0;
}

/*
 * ARG: mprotect|clear-refs, seconds. A store after write protection must
 * complete (and the data stay): SIGALRM after that many seconds if the
 * write fault never ends.
 */
static int c_store_after_wrprotect(void)
{
	size_t len = 4 * PG;
	volatile char *p;
	int err;

	MAP_OR_RETURN(p, len);
	read_pages(p, len);
	err = write_protect(p, len, args[0]);
	if (err)
		return err;
	alarm(arg_ul(1));
	touch_pages(p, len, 2);
	alarm(0);
	for (size_t i = 0; i < len; i += PG)
		if (p[i] != 2)
			return EILSEQ;
	return 0;
}

/*
 * ARG: mprotect|clear-refs, seconds, block device. The same for an O_DIRECT
 * read into the write-protected mapping, whose GUP takes the write fault.
 */
static int c_direct_read_after_wrprotect(void)
{
	size_t len = 4 * PG;
	volatile char *p;
	int fd, err;

	MAP_OR_RETURN(p, len);
	read_pages(p, len);
	err = write_protect(p, len, args[0]);
	if (err)
		return err;
	fd = open(args[2], O_RDONLY | O_DIRECT);
	if (fd < 0)
		return errno;
	alarm(arg_ul(1));
	if (pread(fd, (void *)p, len, 0) != (ssize_t)len)
		return errno ? errno : EIO;
	alarm(0);
	return 0;
}

/*
 * ARG: ready file, go file. Open the provider, create the ready file, wait
 * for the go file (the test unbinds and binds the controller meanwhile),
 * then map through the file opened before: the errno of that mmap().
 */
static int c_stale_fd(void)
{
	int fd = open(provider, O_RDWR), err;
	void *p;

	if (fd < 0)
		return errno;
	err = signal_ready(args[0]);
	if (err)
		return err;
	while (access(args[1], F_OK))
		usleep(20000);
	p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	return p == MAP_FAILED ? errno : 0;
}

/*
 * The cache attribute of the PTEs of a mapping, from the kernel's page table
 * dump of the current process (CONFIG_PTDUMP_DEBUGFS): print "cache: UC" for
 * PCD and PWT, "cache: UC-" for PCD alone, "cache: WC" for PWT alone (the
 * kernel's PAT layout) and "cache: WB" for neither.
 */
static int c_pte_cache(void)
{
	FILE *f = fopen("/sys/kernel/debug/page_tables/current_kernel", "r");
	unsigned long start, end;
	char line[256];
	char *p;

	if (!f)
		return errno;
	MAP_OR_RETURN(p, 4 * PG);
	touch_pages(p, 4 * PG, 1);
	while (fgets(line, sizeof(line), f)) {
		int pcd, pwt;

		if (sscanf(line, "0x%lx-0x%lx", &start, &end) != 2 ||
		    (unsigned long)p < start || (unsigned long)p >= end)
			continue;
		pcd = strstr(line, " PCD") != NULL;
		pwt = strstr(line, " PWT") != NULL;
		printf("cache: %s\n", pcd ? (pwt ? "UC" : "UC-") : (pwt ? "WC" : "WB"));
		fflush(stdout);
		fclose(f);
		return 0;
	}
	fclose(f);
	return ENOENT;
}

/*
 * ARG: bytes. Map that much and exit: how long the mmap() takes, a kill
 * during it, or an unbind during it.
 */
static int c_map_once(void)
{
	size_t len = arg_ul(0);
	struct timespec a, b;
	char *p;

	clock_gettime(CLOCK_MONOTONIC, &a);
	MAP_OR_RETURN(p, len);
	clock_gettime(CLOCK_MONOTONIC, &b);
	fprintf(stderr, "map-once: mmap() of %zu MiB took %ld ms\n", len >> 20,
		(b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000);
	clock_gettime(CLOCK_MONOTONIC, &a);
	munmap(p, len);
	clock_gettime(CLOCK_MONOTONIC, &b);
	fprintf(stderr, "map-once: munmap() took %ld ms\n",
		(b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000);
	return 0;
}

static const struct {
	const char *name;
	case_fn fn;
} cases[] = {
	{ "map-shared", c_map_shared },
	{ "map-private", c_map_private },
	{ "map-offset", c_map_offset },
	{ "map-zero-length", c_map_zero_length },
	{ "map-len", c_map_len },
	{ "zeroed", c_zeroed },
	{ "write-read", c_write_read },
	{ "fork", c_fork },
	{ "munmap-half", c_munmap_half },
	{ "madv-dontneed", c_madv_dontneed },
	{ "mremap-grow", c_mremap_grow },
	{ "vmsplice", c_vmsplice },
	{ "process-vm-readv", c_process_vm_readv },
	{ "proc-pid-mem", c_proc_pid_mem },
	{ "ptrace-peek", c_ptrace_peek },
	{ "ptrace-poke", c_ptrace_poke },
	{ "uring-register", c_uring_register },
	{ "buffered", c_buffered },
	{ "direct-write", c_direct_write },
	{ "direct-misaligned", c_direct_misaligned },
	{ "direct-read", c_direct_read },
	{ "direct-odd-length", c_direct_odd_length },
	{ "mremap-move", c_mremap_move },
	{ "mremap-shrink", c_mremap_shrink },
	{ "mprotect-exec", c_mprotect_exec },
	{ "mprotect-none", c_mprotect_none },
	{ "madv-free", c_madvise },
	{ "madv-remove", c_madvise },
	{ "madv-willneed", c_madvise },
	{ "madv-cold", c_madvise },
	{ "madv-pageout", c_madvise },
	{ "madv-mergeable", c_madvise },
	{ "madv-hugepage", c_madvise },
	{ "madv-populate-write", c_madvise },
	{ "madv-dontfork", c_madv_dontfork },
	{ "map-fixed-over", c_map_fixed_over },
	{ "map-odd-length", c_map_odd_length },
	{ "open-wronly", c_open_wronly },
	{ "readonly-mprotect-write", c_readonly_mprotect_write },
	{ "file-read", c_file_read },
	{ "mlock", c_mlock },
	{ "process-vm-writev", c_process_vm_writev },
	{ "splice-pipe", c_splice_pipe },
	{ "passthru-copy", c_passthru_copy },
	{ "passthru-beyond", c_passthru_beyond },
	{ "uring-passthru-copy", c_uring_passthru_copy },
	{ "hold", c_hold },
	{ "revoke-touch", c_revoke_touch },
	{ "map-loop", c_map_loop },
	{ "map-retry", c_map_retry },
	{ "hold-maps", c_hold_maps },
	{ "sq-apart", c_sq_apart },
	{ "pool-zeroed", c_pool_zeroed },
	{ "remap-dirty", c_remap_dirty },
	{ "free-race", c_free_race },
	{ "stale-fd", c_stale_fd },
	{ "pte-cache", c_pte_cache },
	{ "map-once", c_map_once },
	{ "store-after-wrprotect", c_store_after_wrprotect },
	{ "direct-read-after-wrprotect", c_direct_read_after_wrprotect },
};

static pid_t child;

/* SIGTERM to this process ends the case too (e.g. a "hold" in the background). */
static void forward_signal(int sig)
{
	if (child > 0)
		kill(child, sig);
}

int main(int argc, char **argv)
{
	int status;
	pid_t pid;
	size_t i;

	if (argc < 3) {
		fprintf(stderr, "usage: p2pmem-case PROVIDER CASE [ARG...]\ncases:");
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			fprintf(stderr, " %s", cases[i].name);
		fputc('\n', stderr);
		return 2;
	}
	provider = argv[1];
	case_name = argv[2];
	args = argv + 3;
	nargs = argc - 3;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (!strcmp(cases[i].name, argv[2]))
			break;
	if (i == sizeof(cases) / sizeof(cases[0])) {
		fprintf(stderr, "p2pmem-case: unknown case %s\n", argv[2]);
		return 2;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(cases[i].fn());
	child = pid;
	signal(SIGTERM, forward_signal);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno == EINTR)
			continue;
		perror("waitpid");
		return 2;
	}
	if (WIFSIGNALED(status))
		printf("%s: signal SIG%s\n", argv[2], sigabbrev_np(WTERMSIG(status)) ?: "?");
	else if (WEXITSTATUS(status))
		printf("%s: errno %s\n", argv[2], strerrorname_np(WEXITSTATUS(status)) ?: "?");
	else
		printf("%s: ok\n", argv[2]);
	return 0;
}
