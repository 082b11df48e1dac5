// SPDX-License-Identifier: GPL-2.0
/*
 * Write the concatenation of device segments to stdout, read with O_DIRECT:
 *
 *   segs-cat DEV:OFFSET:BYTES...
 *
 * OFFSET and BYTES are multiples of 4 KiB. The tests hash where a volume put
 * a range on its members (every stripe chunk of a RAID0) with one process,
 * not one dd a chunk: a process start costs about a second in the test bed
 * guest. Exit status 0, or 1 with the reason on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ALIGN 4096
#define BUF_LEN (1 << 20)

static void die(const char *seg, const char *what)
{
	fprintf(stderr, "segs-cat: %s: %s: %s\n", seg, what, strerror(errno));
	exit(1);
}

static void write_all(const char *seg, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(STDOUT_FILENO, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die(seg, "write to stdout");
		}
		p += n;
		len -= n;
	}
}

static void cat_segment(const char *seg, char *buf)
{
	char dev[4096], *end;
	const char *colon = strchr(seg, ':');
	unsigned long long off, len;
	int fd;

	errno = EINVAL;
	if (!colon || colon - seg >= (long)sizeof(dev))
		die(seg, "not DEV:OFFSET:BYTES in 4 KiB units");
	memcpy(dev, seg, colon - seg);
	dev[colon - seg] = '\0';
	off = strtoull(colon + 1, &end, 0);
	if (*end != ':' || off % ALIGN)
		die(seg, "not DEV:OFFSET:BYTES in 4 KiB units");
	len = strtoull(end + 1, &end, 0);
	if (*end || len % ALIGN)
		die(seg, "not DEV:OFFSET:BYTES in 4 KiB units");

	fd = open(dev, O_RDONLY | O_DIRECT);
	if (fd < 0)
		die(seg, "open");
	while (len) {
		size_t chunk = len < BUF_LEN ? len : BUF_LEN;
		ssize_t n = pread(fd, buf, chunk, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!n)
				errno = ENXIO;
			die(seg, "read");
		}
		write_all(seg, buf, n);
		off += n;
		len -= n;
	}
	close(fd);
}

int main(int argc, char **argv)
{
	char *buf;
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: segs-cat DEV:OFFSET:BYTES...\n");
		return 1;
	}
	if (posix_memalign((void **)&buf, ALIGN, BUF_LEN)) {
		fprintf(stderr, "segs-cat: out of memory\n");
		return 1;
	}
	for (i = 1; i < argc; i++)
		cat_segment(argv[i], buf);
	free(buf);
	return 0;
}
