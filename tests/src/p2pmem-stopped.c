// SPDX-License-Identifier: GPL-2.0
/*
 * A process that stops with I/O from CMB p2pmem in flight, for the teardown
 * tests (nvme/041):
 *
 *   p2pmem-stopped PROVIDER PATH DEV READY [FREEZE]
 *
 * Maps 1 MiB of PROVIDER (/dev/nvmeX or a p2pmem/allocate file), fills it,
 * and writes it to offset 0 of DEV as eight 128 KiB writes through PATH:
 *   psync      pwrite() with O_DIRECT, one after the other
 *   libaio     io_submit() of all eight, O_DIRECT
 *   io_uring   IORING_OP_WRITE of all eight, O_DIRECT
 *   uring-cmd  IORING_OP_URING_CMD NVMe Writes of all eight (DEV: /dev/ngXnY)
 *   io_uring-fixed, uring-cmd-fixed
 *              the same from the mapping registered as an io_uring buffer
 *              (WRITE_FIXED, IORING_URING_CMD_FIXED)
 * (io_uring rings with IORING_SETUP_DEFER_TASKRUN: their completion work runs
 * only when the process waits for completions.)
 *   ioctl      NVME_IOCTL_IO64_CMD Writes, one after the other
 * Then it creates the file READY and stops itself (SIGSTOP), or with FREEZE
 * (the cgroup.freeze file of its cgroup v2) freezes its cgroup, before it
 * reaps a completion: the asynchronous ones arrive while it is stopped. Once
 * continued or thawed it reaps them and prints how they ended, one line:
 *   PATH: 8 of 8 writes completed, errors: none
 * Exit status 0 when every write completed, 1 when one failed, 2 on a setup
 * error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libaio.h>
#include <liburing.h>
#include <linux/nvme_ioctl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define NR_WRITES 8
#define WRITE_LEN (128 << 10)
#define MAP_LEN (NR_WRITES * WRITE_LEN)

static const char *path, *freeze;
static int completed, failed;
static char errors[256];

static void die(const char *what)
{
	fprintf(stderr, "p2pmem-stopped: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* Count one write's result: bytes written, or a negative errno. */
static void count(long res)
{
	if (res == WRITE_LEN) {
		completed++;
		return;
	}
	failed++;
	if (!strstr(errors, strerrorname_np(res < 0 ? -res : EIO)))
		snprintf(errors + strlen(errors), sizeof(errors) - strlen(errors), "%s%s",
			 *errors ? "," : "", strerrorname_np(res < 0 ? -res : EIO));
}

static void stop_self(const char *ready)
{
	int fd = open(ready, O_CREAT | O_WRONLY, 0600);

	if (fd < 0)
		die(ready);
	close(fd);
	if (!freeze) {
		raise(SIGSTOP);
		return;
	}
	fd = open(freeze, O_WRONLY);
	if (fd < 0 || write(fd, "1", 1) != 1)
		die(freeze);
	close(fd);
}

/*
 * NVMe Write I of the eight, for a 512-byte LBA format (the test bed's), into
 * a struct nvme_passthru_cmd64 (ioctl) or nvme_uring_cmd (uring-cmd).
 */
#define NVME_WRITE(cmd, ns, buf, i)                                  \
	do {                                                         \
		memset((cmd), 0, sizeof(*(cmd)));                    \
		(cmd)->opcode = 0x01;                                \
		(cmd)->nsid = (ns);                                  \
		(cmd)->addr = (__u64)(uintptr_t)(buf);               \
		(cmd)->data_len = WRITE_LEN;                         \
		(cmd)->cdw10 = (__u32)((__u64)(i) * WRITE_LEN / 512); \
		(cmd)->cdw12 = WRITE_LEN / 512 - 1;                  \
	} while (0)

static void sync_writes(int fd, char *buf, const char *ready)
{
	struct nvme_passthru_cmd64 cmd;
	__u32 nsid = 0;

	if (!strcmp(path, "ioctl"))
		nsid = ioctl(fd, NVME_IOCTL_ID);
	for (int i = 0; i < NR_WRITES; i++) {
		char *b = buf + (size_t)i * WRITE_LEN;

		if (nsid) {
			int r;

			NVME_WRITE(&cmd, nsid, b, i);
			r = ioctl(fd, NVME_IOCTL_IO64_CMD, &cmd);
			count(r < 0 ? -errno : r > 0 ? -EIO : WRITE_LEN);
		} else {
			count(pwrite(fd, b, WRITE_LEN, (off_t)i * WRITE_LEN) < 0 ? -errno :
			      WRITE_LEN);
		}
	}
	stop_self(ready);
}

static void aio_writes(int fd, char *buf, const char *ready)
{
	struct iocb cbs[NR_WRITES], *cbp[NR_WRITES];
	struct io_event ev[NR_WRITES];
	io_context_t ctx = 0;
	int n = 0, r;

	if (io_setup(NR_WRITES, &ctx))
		die("io_setup");
	for (int i = 0; i < NR_WRITES; i++) {
		io_prep_pwrite(&cbs[i], fd, buf + (size_t)i * WRITE_LEN, WRITE_LEN,
			       (long long)i * WRITE_LEN);
		cbp[i] = &cbs[i];
	}
	r = io_submit(ctx, NR_WRITES, cbp);
	if (r < 0) {
		errno = -r;
		die("io_submit");
	}
	stop_self(ready);
	while (n < r) {
		int got = io_getevents(ctx, 1, NR_WRITES, ev, NULL);

		if (got < 0) {
			errno = -got;
			die("io_getevents");
		}
		for (int i = 0; i < got; i++)
			count((long)ev[i].res);
		n += got;
	}
}

static void uring_writes(int fd, char *buf, const char *ready)
{
	bool cmd = !strncmp(path, "uring-cmd", 9), fixed = strstr(path, "-fixed");
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	__u32 nsid = 0;
	int r;

	/*
	 * The ring runs its completion work only when the process waits for
	 * completions, so that they reach a process that does not run it
	 * however fast the drive completes them (otherwise it could run them
	 * on the way back from io_uring_enter(), before the process stops).
	 */
	r = io_uring_queue_init(NR_WRITES, &ring,
				IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
				(cmd ? IORING_SETUP_SQE128 | IORING_SETUP_CQE32 : 0));
	if (r) {
		errno = -r;
		die("io_uring_queue_init");
	}
	if (cmd)
		nsid = ioctl(fd, NVME_IOCTL_ID);
	if (fixed) {
		struct iovec iov = { buf, NR_WRITES * WRITE_LEN };

		r = io_uring_register_buffers(&ring, &iov, 1);
		if (r) {
			errno = -r;
			die("io_uring_register_buffers");
		}
	}
	for (int i = 0; i < NR_WRITES; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
		char *b = buf + (size_t)i * WRITE_LEN;

		if (cmd) {
			io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, NULL, 0, 0);
			sqe->cmd_op = NVME_URING_CMD_IO;
			/* A 128-byte SQE: the command fills its second half. */
			NVME_WRITE((struct nvme_uring_cmd *)sqe->cmd, nsid, b, i);
			if (fixed)
				sqe->uring_cmd_flags = IORING_URING_CMD_FIXED;
		} else if (fixed) {
			io_uring_prep_write_fixed(sqe, fd, b, WRITE_LEN, (__u64)i * WRITE_LEN, 0);
		} else {
			io_uring_prep_write(sqe, fd, b, WRITE_LEN, (__u64)i * WRITE_LEN);
		}
	}
	r = io_uring_submit(&ring);
	if (r != NR_WRITES) {
		errno = r < 0 ? -r : EAGAIN;
		die("io_uring_submit");
	}
	stop_self(ready);
	for (int i = 0; i < NR_WRITES; i++) {
		r = io_uring_wait_cqe(&ring, &cqe);
		if (r) {
			errno = -r;
			die("io_uring_wait_cqe");
		}
		/* A passthrough command completes with 0 or an errno or NVMe status. */
		count(cmd && cqe->res == 0 ? WRITE_LEN : cmd && cqe->res > 0 ? -EIO : cqe->res);
		io_uring_cqe_seen(&ring, cqe);
	}
}

int main(int argc, char **argv)
{
	int pfd, fd, direct;
	char *buf;

	if (argc != 5 && argc != 6) {
		fprintf(stderr, "usage: p2pmem-stopped PROVIDER PATH DEV READY [FREEZE]\n");
		return 2;
	}
	path = argv[2];
	freeze = argc == 6 ? argv[5] : NULL;
	pfd = open(argv[1], O_RDWR);
	if (pfd < 0)
		die(argv[1]);
	buf = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, pfd, 0);
	if (buf == MAP_FAILED)
		die("mmap");
	close(pfd);
	memset(buf, 0x5a, MAP_LEN);
	direct = strncmp(path, "uring-cmd", 9) && strcmp(path, "ioctl") ? O_DIRECT : 0;
	fd = open(argv[3], O_RDWR | direct);
	if (fd < 0)
		die(argv[3]);

	if (!strcmp(path, "psync") || !strcmp(path, "ioctl"))
		sync_writes(fd, buf, argv[4]);
	else if (!strcmp(path, "libaio"))
		aio_writes(fd, buf, argv[4]);
	else if (!strcmp(path, "io_uring") || !strcmp(path, "uring-cmd") ||
		 !strcmp(path, "io_uring-fixed") || !strcmp(path, "uring-cmd-fixed"))
		uring_writes(fd, buf, argv[4]);
	else {
		fprintf(stderr, "p2pmem-stopped: no path %s\n", path);
		return 2;
	}
	printf("%s: %d of %d writes completed, errors: %s\n", path, completed, NR_WRITES,
	       *errors ? errors : "none");
	return failed ? 1 : 0;
}
