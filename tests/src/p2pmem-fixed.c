// SPDX-License-Identifier: GPL-2.0
/*
 * p2pmem-fixed: io_uring registered (fixed) buffers in p2pmem mappings. A case
 * prints "STEP: ok" or "STEP: errno ENAME" for each of its steps, for golden
 * test output; data is compared with a read of the same range into memory
 * (EILSEQ on a difference). Exit status 0 unless the setup failed.
 *
 *   p2pmem-fixed PROVIDER CASE [ARG...]
 *
 * PROVIDER is the file to mmap: /dev/nvmeX or .../p2pmem/allocate. DEV is a
 * namespace block device, NG a generic char device (/dev/ngXnY).
 *
 *   register DEV       register 16 pages of a mapping; READ_FIXED into them from
 *                      DEV, then WRITE_FIXED them back to the same place
 *   register-readonly  register a mapping made read-only (mprotect)
 *   span DEV           two adjacent mappings registered as one buffer, one read
 *                      across both
 *   mixed DEV          a mapping and anonymous memory right after it, registered
 *                      as one buffer, one read across both
 *   other-mm DEV       a READ_FIXED from the registering process, then one
 *                      submitted on the same ring by a forked child, whose address
 *                      space is not the one that registered the buffer
 *   send-zc            IORING_OP_SEND_ZC from the mapping to a UDP socket, without
 *                      and with the registered buffer; nothing may arrive
 *   passthru-copy SRC DST BYTES
 *                      NVMe Read from SRC, then Write to DST, as IORING_OP_URING_CMD
 *                      on generic char devices with IORING_URING_CMD_FIXED (the
 *                      caller compares the ranges)
 *   passthru-unaligned NG
 *                      an NVMe Read like passthru-copy's into the registered buffer
 *                      at an address off the queue's DMA alignment (bounced through
 *                      memory), compared with a read of the same range
 *   revoked DEV READY GO
 *                      register and read, create READY, wait for GO (the caller
 *                      revokes the mapping meanwhile), read again; then replace
 *                      the slot with memory (buffer update), read, unregister
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/fs.h>
#include <linux/nvme_ioctl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096UL
#define LEN (16 * PG)

enum { NVME_WRITE = 0x01, NVME_READ = 0x02 };	/* NVM command set opcodes */

static const char *provider;
static struct io_uring ring;

static __attribute__((noreturn)) void die(const char *what)
{
	fprintf(stderr, "p2pmem-fixed: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void report(const char *step, int err)
{
	if (err)
		printf("%s: errno %s\n", step, strerrorname_np(err) ?: "?");
	else
		printf("%s: ok\n", step);
	fflush(stdout);
}

/* Map len bytes of the provider, at addr exactly when addr is not NULL. */
static char *map_p2pmem(void *addr, size_t len)
{
	int fd = open(provider, O_RDWR);
	char *p;

	if (fd < 0)
		die(provider);
	p = mmap(addr, len, PROT_READ | PROT_WRITE, MAP_SHARED | (addr ? MAP_FIXED : 0), fd, 0);
	if (p == MAP_FAILED)
		die("mmap");
	close(fd);
	return p;
}

/* len bytes of address space, none of it mapped to anything yet. */
static char *reserve(size_t len)
{
	char *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	return p;
}

static int open_dev(const char *dev)
{
	int fd = open(dev, O_RDWR | O_DIRECT);

	if (fd < 0)
		die(dev);
	return fd;
}

static void register_buffer(void *buf, size_t len)
{
	struct iovec iov = { buf, len };
	int ret = io_uring_register_buffers(&ring, &iov, 1);

	if (ret) {
		errno = -ret;
		die("IORING_REGISTER_BUFFERS");
	}
}

/* Submit the prepared SQE, reap its CQE: 0, the errno, or EIO for a short transfer. */
static int complete(size_t len)
{
	struct io_uring_cqe *cqe;
	int ret;

	io_uring_submit(&ring);
	ret = io_uring_wait_cqe(&ring, &cqe);
	if (ret)
		return -ret;
	ret = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	return ret < 0 ? -ret : (size_t)ret == len ? 0 : EIO;
}

static int fixed_rw(bool write, int fd, char *buf, size_t len)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

	if (write)
		io_uring_prep_write_fixed(sqe, fd, buf, len, 0, 0);
	else
		io_uring_prep_read_fixed(sqe, fd, buf, len, 0, 0);
	return complete(len);
}

/* READ_FIXED of len bytes at offset 0, compared with a pread() into memory. */
static int fixed_read_check(int fd, char *buf, size_t len)
{
	int err = fixed_rw(false, fd, buf, len);
	char *mem;

	if (err)
		return err;
	if (posix_memalign((void **)&mem, PG, len))
		die("posix_memalign");
	if (pread(fd, mem, len, 0) != (ssize_t)len)
		die("pread");
	err = memcmp(mem, buf, len) ? EILSEQ : 0;
	free(mem);
	return err;
}

static int c_register(char **args)
{
	int fd = open_dev(args[0]);
	char *p = map_p2pmem(NULL, LEN);

	register_buffer(p, LEN);
	report("register", 0);
	report("read-fixed", fixed_read_check(fd, p, LEN));
	report("write-fixed", fixed_rw(true, fd, p, LEN));
	report("unregister", -io_uring_unregister_buffers(&ring));
	return 0;
}

/* A read-only mapping cannot take reads: refused as memory's would be. */
static int c_register_readonly(char **args)
{
	char *p = map_p2pmem(NULL, LEN);
	struct iovec iov = { p, LEN };

	(void)args;
	if (mprotect(p, LEN, PROT_READ))
		die("mprotect");
	report("register read-only", -io_uring_register_buffers(&ring, &iov, 1));
	return 0;
}

/* The second half of the buffer: another p2pmem mapping, or anonymous memory. */
static int span(char **args, bool p2pmem_second)
{
	int fd = open_dev(args[0]);
	char *p = reserve(LEN);

	map_p2pmem(p, LEN / 2);
	if (p2pmem_second)
		map_p2pmem(p + LEN / 2, LEN / 2);
	else if (mmap(p + LEN / 2, LEN / 2, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
		die("mmap");
	register_buffer(p, LEN);
	report("read-fixed across both", fixed_read_check(fd, p, LEN));
	return 0;
}

static int c_span(char **args)
{
	return span(args, true);
}

static int c_mixed(char **args)
{
	return span(args, false);
}

static int c_other_mm(char **args)
{
	int fd = open_dev(args[0]), status;
	char *p = map_p2pmem(NULL, LEN);
	pid_t pid;

	register_buffer(p, LEN);
	report("read-fixed from the registering process", fixed_read_check(fd, p, LEN));
	/* The child submits on the ring; its liburing state is a copy: the parent stops. */
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		report("read-fixed from a forked child", fixed_rw(false, fd, p, LEN));
		_exit(0);
	}
	waitpid(pid, &status, 0);
	return 0;
}

/* One send_zc from buf; its result (a notification CQE may follow). */
static int send_zc(int sock, char *buf, size_t len, bool fixed)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
	struct io_uring_cqe *cqe;
	bool more;
	int res;

	if (fixed)
		io_uring_prep_send_zc_fixed(sqe, sock, buf, len, 0, 0, 0);
	else
		io_uring_prep_send_zc(sqe, sock, buf, len, 0, 0);
	io_uring_submit(&ring);
	if (io_uring_wait_cqe(&ring, &cqe))
		die("io_uring_wait_cqe");
	res = cqe->res;
	more = cqe->flags & IORING_CQE_F_MORE;
	io_uring_cqe_seen(&ring, cqe);
	if (more) {
		if (io_uring_wait_cqe(&ring, &cqe))
			die("io_uring_wait_cqe");
		io_uring_cqe_seen(&ring, cqe);
	}
	return res < 0 ? -res : (size_t)res == len ? 0 : EIO;
}

static int c_send_zc(char **args)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t alen = sizeof(addr);
	int rx = socket(AF_INET, SOCK_DGRAM, 0), tx = socket(AF_INET, SOCK_DGRAM, 0);
	char *p = map_p2pmem(NULL, LEN), c;

	(void)args;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (rx < 0 || tx < 0 || bind(rx, (void *)&addr, sizeof(addr)) ||
	    getsockname(rx, (void *)&addr, &alen) || connect(tx, (void *)&addr, sizeof(addr)))
		die("UDP socket on loopback");
	register_buffer(p, LEN);
	report("send-zc", send_zc(tx, p, PG, false));
	report("send-zc-fixed", send_zc(tx, p, PG, true));
	report("received", recv(rx, &c, 1, MSG_DONTWAIT) < 0 ? errno : 0);
	return 0;
}

/* The block device of a generic char device: /dev/ngXnY -> /dev/nvmeXnY. */
static const char *ng_bdev(const char *ng)
{
	static char bdev[64];

	snprintf(bdev, sizeof(bdev), "/dev/nvme%s", ng + strlen("/dev/ng"));
	return bdev;
}

/* One NVMe Read or Write of len bytes at LBA 0, through registered buffer 0. */
static int passthru_fixed(const char *ng, bool write, char *buf, size_t len)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
	struct nvme_uring_cmd *cmd;
	const char *bdev = ng_bdev(ng);
	int fd, bfd, lba, err;

	/* The LBA size, from the namespace's block device. */
	fd = open(ng, O_RDWR);
	bfd = open(bdev, O_RDONLY);
	if (fd < 0 || bfd < 0 || ioctl(bfd, BLKSSZGET, &lba))
		die(ng);
	close(bfd);
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, NULL, 0, 0);
	sqe->cmd_op = NVME_URING_CMD_IO;
	sqe->uring_cmd_flags = IORING_URING_CMD_FIXED;
	sqe->buf_index = 0;
	cmd = (struct nvme_uring_cmd *)sqe->cmd;
	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = write ? NVME_WRITE : NVME_READ;
	cmd->nsid = ioctl(fd, NVME_IOCTL_ID);
	cmd->addr = (uintptr_t)buf;
	cmd->data_len = len;
	cmd->cdw12 = len / lba - 1;
	err = complete(0);	/* an NVMe status > 0: EIO */
	close(fd);
	return err;
}

/* Passthrough needs 128-byte SQEs and 32-byte CQEs. */
static void passthru_ring(void)
{
	int err;

	io_uring_queue_exit(&ring);
	err = io_uring_queue_init(4, &ring, IORING_SETUP_SQE128 | IORING_SETUP_CQE32);
	if (err) {
		errno = -err;
		die("io_uring_queue_init");
	}
}

static int c_passthru_copy(char **args)
{
	size_t len = strtoul(args[2], NULL, 0);
	char *p = map_p2pmem(NULL, len);
	int err;

	passthru_ring();
	register_buffer(p, len);
	err = passthru_fixed(args[0], false, p, len);
	report("passthru-read-fixed", err);
	if (!err)
		report("passthru-write-fixed", passthru_fixed(args[1], true, p, len));
	return 0;
}

/*
 * A read into a buffer off the queue's DMA alignment: the block layer
 * bounces it through memory and copies it to the buffer at the end.
 */
static int c_passthru_unaligned(char **args)
{
	char *p = map_p2pmem(NULL, LEN), *mem;
	int fd = open_dev(ng_bdev(args[0]));

	passthru_ring();
	register_buffer(p, LEN);
	memset(p, 0xa5, LEN);
	report("passthru-read-fixed, buffer at offset 2",
	       passthru_fixed(args[0], false, p + 2, PG));
	if (posix_memalign((void **)&mem, PG, PG))
		die("posix_memalign");
	if (pread(fd, mem, PG, 0) != PG)
		die("pread");
	report("data", memcmp(mem, p + 2, PG) ? EILSEQ : 0);
	return 0;
}

static int c_revoked(char **args)
{
	int fd = open_dev(args[0]), ready;
	char *p = map_p2pmem(NULL, LEN), *mem;
	struct iovec iov = { NULL, LEN };

	register_buffer(p, LEN);
	report("read-fixed before revocation", fixed_read_check(fd, p, LEN));
	ready = open(args[1], O_CREAT | O_WRONLY, 0600);
	if (ready < 0)
		die(args[1]);
	close(ready);
	while (access(args[2], F_OK))
		usleep(20000);
	report("read-fixed after revocation", fixed_rw(false, fd, p, LEN));
	if (posix_memalign((void **)&mem, PG, LEN))
		die("posix_memalign");
	iov.iov_base = mem;
	report("update the slot to memory",
	       io_uring_register_buffers_update_tag(&ring, 0, &iov, NULL, 1) == 1 ? 0 : EINVAL);
	report("read-fixed into memory", fixed_read_check(fd, mem, LEN));
	report("unregister", -io_uring_unregister_buffers(&ring));
	return 0;
}

static const struct {
	const char *name;
	int nargs;
	int (*fn)(char **args);
} cases[] = {
	{ "register", 1, c_register },
	{ "register-readonly", 0, c_register_readonly },
	{ "span", 1, c_span },
	{ "mixed", 1, c_mixed },
	{ "other-mm", 1, c_other_mm },
	{ "send-zc", 0, c_send_zc },
	{ "passthru-copy", 3, c_passthru_copy },
	{ "passthru-unaligned", 1, c_passthru_unaligned },
	{ "revoked", 3, c_revoked },
};

int main(int argc, char **argv)
{
	int err;

	if (argc < 3) {
		fprintf(stderr, "usage: p2pmem-fixed PROVIDER CASE [ARG...] (cases: see the source)\n");
		return 2;
	}
	provider = argv[1];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (strcmp(argv[2], cases[i].name))
			continue;
		if (argc - 3 != cases[i].nargs) {
			fprintf(stderr, "p2pmem-fixed: %s takes %d arguments\n", cases[i].name,
				cases[i].nargs);
			return 2;
		}
		err = io_uring_queue_init(4, &ring, 0);
		if (err) {
			errno = -err;
			die("io_uring_queue_init");
		}
		return cases[i].fn(argv + 3);
	}
	fprintf(stderr, "p2pmem-fixed: no case '%s'\n", argv[2]);
	return 2;
}
