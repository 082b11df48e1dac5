// SPDX-License-Identifier: GPL-2.0
/*
 * map-touch: time mmap() and the first touch of every page of SIZE bytes, from a p2pmem file
 * (p2pmem/allocate or /dev/nvmeX) or of anonymous shared memory ("anon"), and for p2pmem
 * also the time to clear the mapped memory once more from userspace with the store the
 * kernel's memset() uses on x86-64 without ERMS (rep stosq): an estimate of the share of
 * the kernel's mmap() that clears the previous user's data. Prints one JSON line.
 *   map-touch FILE|anon SIZE
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void clear_rep_stosq(void *p, size_t len)
{
	size_t n = len / 8;

	asm volatile("rep stosq" : "+D"(p), "+c"(n) : "a"(0UL) : "memory");
}

int main(int argc, char **argv)
{
	int anon = argc == 3 && !strcmp(argv[1], "anon");
	double t0, t_mmap, t_touch, t_clear = 0;
	long page = sysconf(_SC_PAGESIZE);
	size_t len, off;
	char *p;
	int fd = -1;

	if (argc != 3 || !(len = strtoull(argv[2], NULL, 0)) || len % page) {
		fprintf(stderr, "usage: map-touch FILE|anon SIZE (a multiple of the page size)\n");
		return 2;
	}
	if (!anon && (fd = open(argv[1], O_RDWR)) < 0) {
		perror(argv[1]);
		return 1;
	}

	t0 = now_ms();
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_SHARED | (anon ? MAP_ANONYMOUS : 0), fd, 0);
	t_mmap = now_ms() - t0;
	if (p == MAP_FAILED) {
		perror("map-touch: mmap");
		return 1;
	}

	t0 = now_ms();
	for (off = 0; off < len; off += page)
		((volatile char *)p)[off] = 1;
	t_touch = now_ms() - t0;

	if (!anon) {
		t0 = now_ms();
		clear_rep_stosq(p, len);
		t_clear = now_ms() - t0;
	}

	printf("{\"bench\": \"map-touch\", \"kind\": \"%s\", \"bytes\": %zu, \"mmap_ms\": %.3f, "
	       "\"touch_ms\": %.3f, \"clear_ms\": %.3f}\n", anon ? "anon" : "p2pmem", len,
	       t_mmap, t_touch, t_clear);
	munmap(p, len);
	return 0;
}
