// SPDX-License-Identifier: GPL-2.0
/*
 * p2pmem-soak: a seeded random mix of everything a p2pmem user and the CMB
 * controller's owner can do at once, for a bounded time: worker processes map
 * and unmap CMB memory through both interfaces, fork children that use,
 * hold or die with inherited mappings, copy data1 -> mapping -> data2 with
 * O_DIRECT (sometimes through the CMB controller's own namespace) and verify
 * every completed copy byte for byte; a control process unbinds and binds the
 * CMB controller and resets it at random times.
 *
 *   p2pmem-soak --bdf BDF --src DEV --dst DEV [--seed S] [--seconds N]
 *               [--workers N] [--log FILE] [--progress SEC]
 *
 * Teardown races are expected: the control process bumps a shared generation
 * counter before an unbind (odd: unbound) and after the bind (even), another
 * around a reset. A step that fails with SIGBUS or one of the errnos of a
 * going or coming device is accepted only when a counter was odd or changed
 * during the step. A mapping made before an unbind must fault afterwards
 * (SIGBUS on a touch, EFAULT for O_DIRECT), a mapping no unbind reached must
 * work (a reset keeps it), and every byte read from a mapping or from a copy's
 * destination must be the expected one. Anything else is a failure: the seed,
 * the worker and the step are printed and the exit status is 1.
 *
 * Every step is one line of the log, "seed=S worker=W step=N t=SEC op=...
 * -> result". The same seed gives the same choices in each worker, until a
 * teardown race makes an outcome differ.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PG		4096UL
#define MAX_WORKERS	8
#define MAX_MAPS	8			/* held by one worker */
#define MAX_LEN		(2UL << 20)		/* of one mapping */
#define BUDGET		(8UL << 20)		/* held by one worker, revoked ones included */
#define SLOT_BASE	(64UL << 20)		/* a worker's range on each drive */
#define SLOT		(4UL << 20)
#define UNKNOWN		UINT64_MAX		/* contents tag: not known (a child was killed) */
#define FAULTED		(-1)
#define MISMATCH	(-2)

enum op { OP_MAP, OP_UNMAP, OP_COPY, OP_VERIFY, OP_FILL, OP_FORK, NR_OPS };

static const char *const op_name[NR_OPS] = {
	"map", "unmap", "copy", "verify", "fill", "fork",
};

static const unsigned int op_weight[NR_OPS] = { 20, 12, 30, 18, 8, 12 };

enum drive { DATA1, DATA2, CMBNS };

static const char *const drive_name[] = { "data1", "data2", "cmbns" };

/* A mapping held by a worker. Its bytes are pattern(tag, off + i). */
struct map {
	char *addr;
	size_t len;
	size_t off;
	uint64_t tag;		/* 0: zeroes */
	long gen;		/* unbind generation when its mmap began */
	bool sure;		/* no unbind began while the mmap ran */
	bool revoked;		/* a touch got SIGBUS */
	int iface;		/* 0: /dev/nvmeX, 1: p2pmem/allocate */
};

struct stats {
	unsigned long ops[NR_OPS];
	unsigned long copies;
	unsigned long verified;		/* copies completed and compared */
	unsigned long aborted;		/* steps ended by teardown or reset */
	unsigned long faults;		/* SIGBUS and EFAULT of revoked mappings */
};

struct worker {
	struct map maps[MAX_MAPS];
	int nmaps;
	char doing[512];		/* the step in progress, for a hang report */
};

/* Shared by all processes of the run (MAP_SHARED | MAP_ANONYMOUS). */
struct shared {
	atomic_long ugen;		/* odd while the controller is unbound */
	atomic_long rgen;		/* odd while it resets */
	atomic_int failed;
	atomic_int mismatches;
	unsigned long unbinds, resets;
	char ctrl[32];			/* nvmeX of the CMB controller */
	char ns[48];			/* nvmeXnY: its namespace 1, or that one's head */
	char ctl_doing[512];
	struct stats st[MAX_WORKERS];
	struct worker w[MAX_WORKERS];
};

static struct options {
	uint64_t seed;
	unsigned int seconds, workers, progress;
	const char *bdf, *log;
	const char *drive[2];		/* DATA1, DATA2 */
	bool inject_mismatch;
} opt = {
	.seconds = 60,
	.workers = 3,
	.progress = 60,
};

static struct shared *sh;
static int log_fd = -1;
static struct timespec t_start;
static time_t deadline;

/* One process's view: a worker, a child of a worker, or the control process. */
struct ctx {
	char who[16];
	unsigned long step;
	unsigned int sub;		/* step of a child, 0 in the worker */
	uint64_t rng;
	struct worker *w;
	struct stats *st;
	off_t slot;
	char *buf, *back;		/* DRAM: expected bytes, bytes read back */
	long u0, r0;			/* generations when the step began */
	char line[512];			/* the step's log line so far */
};

static double elapsed(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t_start.tv_sec) + (t.tv_nsec - t_start.tv_nsec) / 1e9;
}

static void sleep_ms(unsigned long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&t, &t) && errno == EINTR)
		;
}

/* splitmix64: seeds the generators and makes the data patterns. */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* xorshift64*: a number in [0, n). */
static unsigned long rnd(struct ctx *c, unsigned long n)
{
	c->rng ^= c->rng >> 12;
	c->rng ^= c->rng << 25;
	c->rng ^= c->rng >> 27;
	return (c->rng * 0x2545f4914f6cdd1dULL >> 11) % n;
}

static uint64_t pattern(uint64_t tag, size_t off)
{
	return tag ? mix(tag ^ mix(off)) : 0;
}

static void fill_words(volatile uint64_t *p, size_t len, size_t off, uint64_t tag)
{
	for (size_t i = 0; i < len / 8; i++)
		p[i] = pattern(tag, off + i * 8);
}

/*
 * The byte offset of the first word that differs from the pattern, or -1.
 * Every word is read, also for an UNKNOWN tag, which matches anything.
 */
static long check_words(const volatile uint64_t *p, size_t len, size_t off, uint64_t tag)
{
	for (size_t i = 0; i < len / 8; i++)
		if (p[i] != pattern(tag, off + i * 8) && tag != UNKNOWN)
			return i * 8;
	return -1;
}

/* The log line of a step: the op and its arguments first, the result at the end. */
static void __attribute__((format(printf, 2, 3))) step_begin(struct ctx *c, const char *fmt, ...)
{
	char step[32];
	va_list ap;
	int n;

	if (c->sub)
		snprintf(step, sizeof(step), "%lu.%u", c->step, c->sub);
	else
		snprintf(step, sizeof(step), "%lu", c->step);
	n = snprintf(c->line, sizeof(c->line), "seed=%" PRIu64 " worker=%s step=%s t=%.3f ",
		     opt.seed, c->who, step, elapsed());
	va_start(ap, fmt);
	vsnprintf(c->line + n, sizeof(c->line) - n, fmt, ap);
	va_end(ap);
	c->u0 = atomic_load(&sh->ugen);
	c->r0 = atomic_load(&sh->rgen);
	if (c->w)
		snprintf(c->w->doing, sizeof(c->w->doing), "%s", c->line);
	else
		snprintf(sh->ctl_doing, sizeof(sh->ctl_doing), "%s", c->line);
}

static void step_vlog(struct ctx *c, const char *fmt, va_list ap)
{
	char line[768];
	int n;

	n = snprintf(line, sizeof(line), "%s -> ", c->line);
	n += vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(log_fd, line, n) != n)
		perror("p2pmem-soak: log");
}

static void __attribute__((format(printf, 2, 3))) step_end(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	step_vlog(c, fmt, ap);
	va_end(ap);
}

/* Log the failure of the step, print it with the seed and end the process. */
static void __attribute__((noreturn, format(printf, 2, 3))) fail(struct ctx *c, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	step_end(c, "FAIL: %s", msg);
	atomic_store(&sh->failed, 1);
	fprintf(stderr, "p2pmem-soak: FAIL seed=%" PRIu64 " worker=%s step=%lu%s: %s\n",
		opt.seed, c->who, c->step, c->sub ? " (in a child)" : "", msg);
	fprintf(stderr, "p2pmem-soak: the step: %s\n", c->line);
	exit(1);
}

/* Data that differs from what was written: count it, then fail. */
#define mismatch(c, ...)					\
	do {							\
		atomic_fetch_add(&sh->mismatches, 1);		\
		fail(c, "mismatch: " __VA_ARGS__);		\
	} while (0)

static const char *ename(int e)
{
	return strerrorname_np(e) ?: "?";
}

/* Whether an unbind or a reset began or ended since the step began. */
static bool in_window(const struct ctx *c)
{
	return (c->u0 & 1) || (c->r0 & 1) || atomic_load(&sh->ugen) != c->u0 ||
	       atomic_load(&sh->rgen) != c->r0;
}

/*
 * The errnos of a device that goes away or comes back, of a revoked mapping;
 * ENOSPC: a namespace being removed has its capacity set to 0 first.
 */
static bool teardown_errno(int e)
{
	return e == EFAULT || e == ENODEV || e == ENXIO || e == EIO || e == ENOENT ||
	       e == EAGAIN || e == ENOSPC;
}

/* Accept the error e of what only inside a teardown window; true if there was one. */
static bool check_err(struct ctx *c, const char *what, int e)
{
	if (!e)
		return false;
	if (!teardown_errno(e))
		fail(c, "%s: %s, not an error of a going device", what, ename(e));
	if (!in_window(c))
		fail(c, "%s: %s outside a teardown or reset window", what, ename(e));
	c->st->aborted++;
	step_end(c, "aborted: %s %s (teardown)", what, ename(e));
	return true;
}

/* An unbind that began after the mapping was made has ended: it must be revoked. */
static bool must_fault(const struct ctx *c, const struct map *m)
{
	return m->revoked || c->u0 >= ((m->gen + 1) & ~1L) + 2;
}

/* No unbind since the mapping was made: it must work (a reset keeps it). */
static bool must_work(const struct ctx *c, const struct map *m)
{
	return m->sure && !m->revoked && c->u0 == m->gen && atomic_load(&sh->ugen) == m->gen;
}

static sigjmp_buf fault_jmp;
static volatile sig_atomic_t fault_armed;

static void on_sigbus(int sig)
{
	if (fault_armed) {
		fault_armed = 0;
		siglongjmp(fault_jmp, 1);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * Touch m by the CPU: check its contents (unless unknown), then write the
 * pattern of tag (unless 0). FAULTED on SIGBUS, MISMATCH (offset in *bad), 0.
 */
static int touch(struct map *m, uint64_t tag, long *bad)
{
	if (sigsetjmp(fault_jmp, 1))
		return FAULTED;
	fault_armed = 1;
	*bad = check_words((uint64_t *)m->addr, m->len, m->off, m->tag);
	if (*bad < 0 && tag) {
		fill_words((uint64_t *)m->addr, m->len, m->off, tag);
		m->tag = tag;
	}
	fault_armed = 0;
	return *bad < 0 ? 0 : MISMATCH;
}

/* Judge whether m faulted as it had to; count an accepted fault. */
static void judge_fault(struct ctx *c, struct map *m, bool faulted, const char *what)
{
	if (faulted && must_work(c, m))
		fail(c, "%s of a mapping no unbind reached: revoked", what);
	if (!faulted && must_fault(c, m))
		fail(c, "%s of a mapping made before an unbind worked: not revoked", what);
	if (faulted) {
		m->revoked = true;
		c->st->faults++;
	}
}

/* Check and rewrite a mapping by the CPU, as one step. */
static void touch_step(struct ctx *c, struct map *m, uint64_t tag)
{
	long bad;
	int r;

	r = touch(m, tag, &bad);
	judge_fault(c, m, r == FAULTED, "touch");
	if (r == MISMATCH)
		mismatch(c, "mapping byte %ld (of %zu) differs from what was written", bad, m->len);
	step_end(c, "%s", r == FAULTED ? "SIGBUS (revoked)" : "ok");
}

static uint64_t new_tag(struct ctx *c)
{
	return mix(opt.seed ^ mix(c->rng ^ c->step)) | 1;
}

static size_t held(const struct worker *w)
{
	size_t sum = 0;

	for (int i = 0; i < w->nmaps; i++)
		sum += w->maps[i].len;
	return sum;
}

/* 4 KiB .. 2 MiB, even on a log scale. */
static size_t random_len(struct ctx *c)
{
	unsigned long pages = 1UL << rnd(c, 10);

	pages += rnd(c, pages);
	return (pages > MAX_LEN / PG ? MAX_LEN / PG : pages) * PG;
}

static void provider_path(char *path, size_t size, int iface)
{
	if (iface)
		snprintf(path, size, "/sys/bus/pci/devices/%s/p2pmem/allocate", opt.bdf);
	else
		snprintf(path, size, "/dev/%s", sh->ctrl);
}

static void drive_path(char *path, size_t size, enum drive d)
{
	if (d == CMBNS)
		snprintf(path, size, "/dev/%s", sh->ns);
	else
		snprintf(path, size, "%s", opt.drive[d]);
}

/* mmap a random length through a random interface; 0 or an errno. */
static int map_new(struct ctx *c, struct map *m)
{
	char path[128];
	int fd, e = 0;

	memset(m, 0, sizeof(*m));
	m->iface = rnd(c, 2);
	m->len = random_len(c);
	step_begin(c, "op=map iface=%s len=%zu", m->iface ? "allocate" : "dev", m->len);
	/* After step_begin: a name read before it may be older than the generation. */
	provider_path(path, sizeof(path), m->iface);
	m->gen = c->u0;
	fd = open(path, O_RDWR);
	if (fd < 0)
		return errno;
	m->addr = mmap(NULL, m->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m->addr == MAP_FAILED)
		e = errno;
	close(fd);
	m->sure = !(c->u0 & 1) && atomic_load(&sh->ugen) == c->u0;
	return e;
}

/* A new mapping must read as zeroes; then it gets a pattern. False if it failed. */
static bool map_step(struct ctx *c, struct map *m)
{
	int e = map_new(c, m);

	if (check_err(c, "mmap", e))
		return false;
	touch_step(c, m, new_tag(c));
	return true;
}

static void op_map(struct ctx *c)
{
	struct worker *w = c->w;

	if (map_step(c, &w->maps[w->nmaps]))
		w->nmaps++;
}

/* The first mapping known to be revoked, or -1. */
static int revoked_map(const struct worker *w)
{
	for (int i = 0; i < w->nmaps; i++)
		if (w->maps[i].revoked)
			return i;
	return -1;
}

/*
 * munmap a mapping, revoked ones first, or one half of it (the other half
 * keeps its contents).
 */
static void op_unmap(struct ctx *c)
{
	int i = revoked_map(c->w), how = rnd(c, 4);
	struct map *m;
	size_t half, len;
	char *at;

	if (i < 0)
		i = rnd(c, c->w->nmaps);
	m = &c->w->maps[i];
	half = m->len / PG / 2 * PG;
	at = m->addr;
	len = m->len;

	if (half && how == 1) {
		at += half;
		len -= half;
	} else if (half && how == 2) {
		len = half;
	}
	step_begin(c, "op=unmap map=%d len=%zu part=%zu+%zu", i, m->len,
		   (size_t)(at - m->addr), len);
	if (munmap(at, len))
		fail(c, "munmap: %s", ename(errno));
	if (len == m->len) {
		*m = c->w->maps[--c->w->nmaps];
	} else {
		if (at == m->addr) {
			m->addr += len;
			m->off += len;
		}
		m->len -= len;
	}
	step_end(c, "ok");
}

static void op_verify(struct ctx *c)
{
	int i = rnd(c, c->w->nmaps);

	step_begin(c, "op=verify map=%d len=%zu", i, c->w->maps[i].len);
	touch_step(c, &c->w->maps[i], 0);
}

static void op_fill(struct ctx *c)
{
	int i = rnd(c, c->w->nmaps);

	step_begin(c, "op=fill map=%d len=%zu", i, c->w->maps[i].len);
	touch_step(c, &c->w->maps[i], new_tag(c));
}

/* pread (write false) or pwrite of a drive with O_DIRECT; 0 or an errno (EIO: short). */
static int direct_io(enum drive d, bool write, void *buf, size_t len, off_t off)
{
	char path[128];
	ssize_t n;
	int fd, e;

	drive_path(path, sizeof(path), d);
	fd = open(path, (write ? O_WRONLY : O_RDONLY) | O_DIRECT);
	if (fd < 0)
		return errno;
	n = write ? pwrite(fd, buf, len, off) : pread(fd, buf, len, off);
	e = n < 0 ? errno : (size_t)n != len ? EIO : 0;
	close(fd);
	return e;
}

/* Read len bytes of a drive back into DRAM and compare them with the pattern. */
static bool read_back(struct ctx *c, enum drive d, const struct map *m, uint64_t tag)
{
	static bool injected;
	long bad;

	if (check_err(c, "read back", direct_io(d, false, c->back, m->len, c->slot)))
		return false;
	if (opt.inject_mismatch && !injected) {
		injected = true;
		c->back[m->len / 2] ^= 1;
	}
	bad = check_words((uint64_t *)c->back, m->len, m->off, tag);
	if (bad >= 0)
		mismatch(c, "%s byte %ld (of %zu) read back after a completed copy differs",
			 drive_name[d], bad, m->len);
	return true;
}

/* Read the source into the mapping: EFAULT if it was revoked. False if it failed. */
static bool read_into(struct ctx *c, struct map *m, enum drive src, uint64_t tag)
{
	int e = direct_io(src, false, m->addr, m->len, c->slot);

	if (!e && must_fault(c, m))
		fail(c, "O_DIRECT into a mapping made before an unbind worked: not revoked");
	if (e == EFAULT && must_fault(c, m)) {
		m->revoked = true;
		c->st->faults++;
		step_end(c, "EFAULT (revoked)");
		return false;
	}
	m->tag = e ? UNKNOWN : tag;
	return !check_err(c, "read into map", e);
}

/*
 * Write a new pattern to the worker's range of the source drive, read it into
 * the mapping, write the mapping to the destination, read both back into DRAM
 * and compare. The pattern starts at the mapping's offset, so that the mapping
 * holds pattern(tag, off + i) afterwards, as after a fill. True if verified.
 */
static bool copy_run(struct ctx *c, struct map *m, const enum drive *p)
{
	uint64_t tag = new_tag(c);

	fill_words((uint64_t *)c->buf, m->len, m->off, tag);
	if (check_err(c, "write source", direct_io(p[0], true, c->buf, m->len, c->slot)) ||
	    !read_into(c, m, p[0], tag) ||
	    check_err(c, "write from map", direct_io(p[1], true, m->addr, m->len, c->slot)))
		return false;
	return read_back(c, p[1], m, tag) && read_back(c, p[0], m, tag);
}

static void copy_step(struct ctx *c, int i)
{
	static const enum drive pairs[][2] = {
		{ DATA1, DATA2 }, { DATA1, DATA2 }, { DATA1, DATA2 }, { CMBNS, DATA2 },
		{ DATA1, CMBNS },
	};
	const enum drive *p = pairs[rnd(c, sizeof(pairs) / sizeof(pairs[0]))];
	struct map *m = &c->w->maps[i];

	step_begin(c, "op=copy map=%d len=%zu %s->%s", i, m->len, drive_name[p[0]],
		   drive_name[p[1]]);
	c->st->copies++;
	if (!copy_run(c, m, p))
		return;
	c->st->verified++;
	step_end(c, "ok verified");
}

static void op_copy(struct ctx *c)
{
	copy_step(c, rnd(c, c->w->nmaps));
}

/* A child: a few steps on inherited mappings, then exit holding them. */
static void child_use(struct ctx *c)
{
	unsigned int n = 1 + rnd(c, 3);

	for (c->sub = 1; c->sub <= n; c->sub++) {
		switch (rnd(c, 3)) {
		case 0: op_verify(c); break;
		case 1: op_fill(c); break;
		default: op_copy(c); break;
		}
	}
}

/* A child: map one or two more and exit without unmapping anything. */
static void child_hold(struct ctx *c)
{
	struct map m[2];
	unsigned int n = 1 + rnd(c, 2);

	for (c->sub = 1; c->sub <= n; c->sub++)
		map_step(c, &m[c->sub - 1]);
}

/* A child: copy through one inherited mapping until the worker kills it. */
static void child_copy_loop(struct ctx *c, int i)
{
	for (c->sub = 1; c->sub <= 50; c->sub++)
		copy_step(c, i);
}

static void run_child(struct ctx *c, int kind, int i)
{
	c->rng = mix(c->rng ^ c->step);
	switch (kind) {
	case 0: child_use(c); break;
	case 1: child_hold(c); break;
	default: child_copy_loop(c, i); break;
	}
	exit(0);
}

/*
 * fork: the child uses inherited mappings and exits, maps more and exits
 * holding them, or copies until killed after a random delay.
 */
static void op_fork(struct ctx *c)
{
	int kind = rnd(c, 3), i = rnd(c, c->w->nmaps), status;
	unsigned long delay = 50 + rnd(c, 500);
	pid_t pid;

	step_begin(c, "op=fork kind=%s map=%d delay=%lu", kind == 0 ? "use" :
		   kind == 1 ? "hold" : "killed", i, kind == 2 ? delay : 0);
	pid = fork();
	if (pid < 0)
		fail(c, "fork: %s", ename(errno));
	if (pid == 0)
		run_child(c, kind, i);
	if (kind == 2) {
		sleep_ms(delay);
		kill(pid, SIGKILL);
	}
	if (waitpid(pid, &status, 0) < 0)
		fail(c, "waitpid: %s", ename(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status))
		fail(c, "the child failed (its step is logged)");
	if (WIFSIGNALED(status) && (kind != 2 || WTERMSIG(status) != SIGKILL))
		fail(c, "the child died of SIG%s", sigabbrev_np(WTERMSIG(status)) ?: "?");
	if (kind == 2)
		c->w->maps[i].tag = UNKNOWN;
	step_end(c, "child %s", WIFSIGNALED(status) ? "killed" : "exited");
}

static enum op pick_op(struct ctx *c)
{
	unsigned int sum = 0, r;
	enum op op;

	for (op = 0; op < NR_OPS; op++)
		sum += op_weight[op];
	r = rnd(c, sum);
	for (op = 0; r >= op_weight[op]; op++)
		r -= op_weight[op];
	if (!c->w->nmaps)
		return OP_MAP;
	if (op == OP_MAP && (c->w->nmaps == MAX_MAPS || held(c->w) > BUDGET - MAX_LEN))
		return OP_UNMAP;
	/* Some use of revoked mappings is a test, more is a waste of time. */
	if (op != OP_MAP && revoked_map(c->w) >= 0 && rnd(c, 2))
		return OP_UNMAP;
	return op;
}

static void (*const op_fn[NR_OPS])(struct ctx *) = {
	op_map, op_unmap, op_copy, op_verify, op_fill, op_fork,
};

static void worker_main(int id)
{
	struct ctx c = { .w = &sh->w[id], .st = &sh->st[id] };

	snprintf(c.who, sizeof(c.who), "%d", id);
	c.rng = mix(opt.seed + id) | 1;
	c.slot = SLOT_BASE + id * SLOT;
	if (posix_memalign((void **)&c.buf, PG, MAX_LEN) ||
	    posix_memalign((void **)&c.back, PG, MAX_LEN))
		fail(&c, "out of memory");
	while (time(NULL) < deadline && !atomic_load(&sh->failed)) {
		enum op op = pick_op(&c);
		unsigned long aborted = c.st->aborted;

		c.step++;
		c.sub = 0;
		c.st->ops[op]++;
		op_fn[op](&c);
		/* Not thousands of failing steps while the controller is away. */
		if (c.st->aborted != aborted)
			sleep_ms(25);
	}
	exit(0);
}

/* Write a string to a sysfs file; 0 or an errno. */
static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), e = 0;

	if (fd < 0)
		return errno;
	if (write(fd, s, strlen(s)) < 0)
		e = errno;
	close(fd);
	return e;
}

/*
 * The block device of controller CTRL's namespace 1: the namespace itself or, with
 * native multipath, the head whose hidden path nvmeXcYnZ it is (nvmeXnZ).
 */
static bool ctrl_ns(const char *ctrl, char *ns, size_t size)
{
	char path[300], *c, *n;
	struct dirent *d;
	bool found = false;
	DIR *dir;

	snprintf(path, sizeof(path), "/sys/class/nvme/%s", ctrl);
	dir = opendir(path);
	if (!dir)
		return false;
	while ((d = readdir(dir)) && !found) {
		n = strrchr(d->d_name, 'n');
		if (strncmp(d->d_name, "nvme", 4) || !n || n == d->d_name || strcmp(n, "n1"))
			continue;
		c = strchr(d->d_name + 4, 'c');
		if (c)
			found = snprintf(ns, size, "%.*sn1", (int)(c - d->d_name),
					 d->d_name) < (int)size;
		else
			found = snprintf(ns, size, "%s", d->d_name) < (int)size;
	}
	closedir(dir);
	return found;
}

/* The CMB device's controller and namespace if it is live with them and p2pmem. */
static bool ctrl_live(char name[32], char ns[48])
{
	char path[300], state[16] = "";
	struct dirent *d;
	bool found = false;
	DIR *dir;
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/nvme", opt.bdf);
	dir = opendir(path);
	if (!dir)
		return false;
	while ((d = readdir(dir)) && !found)
		if (!strncmp(d->d_name, "nvme", 4))
			found = snprintf(name, 32, "%s", d->d_name) < 32;
	closedir(dir);
	if (!found)
		return false;
	snprintf(path, sizeof(path), "/sys/class/nvme/%s/state", name);
	f = fopen(path, "r");
	if (!f)
		return false;
	found = fscanf(f, "%15s", state) == 1 && !strcmp(state, "live");
	fclose(f);
	/*
	 * The namespace's node appears (devtmpfs) before its disk is live and
	 * opening it gives ENXIO meanwhile: it is ready once it opens.
	 */
	if (!found || !ctrl_ns(name, ns, 48))
		return false;
	snprintf(path, sizeof(path), "/dev/%s", ns);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return false;
	close(fd);
	provider_path(path, sizeof(path), 1);
	return !access(path, F_OK);
}

/* Wait up to 60 s until the controller is live again; note its name. */
static void wait_live(struct ctx *c)
{
	char name[32], ns[48];

	for (int i = 0; i < 600; i++) {
		if (ctrl_live(name, ns)) {
			snprintf(sh->ctrl, sizeof(sh->ctrl), "%s", name);
			snprintf(sh->ns, sizeof(sh->ns), "%s", ns);
			return;
		}
		sleep_ms(100);
	}
	fail(c, "%s did not come back live within 60 s", opt.bdf);
}

/* Unbind the CMB controller, wait a moment, bind it and wait until it is live. */
static void unbind_bind(struct ctx *c)
{
	unsigned long gap = rnd(c, 1500);
	double t0, t1;
	int e;

	step_begin(c, "op=unbind bdf=%s ctrl=%s gap=%lu", opt.bdf, sh->ctrl, gap);
	atomic_fetch_add(&sh->ugen, 1);
	t0 = elapsed();
	e = write_file("/sys/bus/pci/drivers/nvme/unbind", opt.bdf);
	if (e)
		fail(c, "unbind: %s", ename(e));
	t1 = elapsed();
	sleep_ms(gap);
	e = write_file("/sys/bus/pci/drivers/nvme/bind", opt.bdf);
	if (e)
		fail(c, "bind: %s", ename(e));
	wait_live(c);
	sh->unbinds++;
	atomic_fetch_add(&sh->ugen, 1);
	step_end(c, "ok unbind %.2f s, live again as %s after %.2f s", t1 - t0, sh->ctrl,
		 elapsed() - t1);
}

/* Reset the CMB controller (mappings must survive) and wait until it is live. */
static void reset(struct ctx *c)
{
	char path[96];
	double t0 = elapsed();
	int e;

	step_begin(c, "op=reset ctrl=%s", sh->ctrl);
	snprintf(path, sizeof(path), "/sys/class/nvme/%s/reset_controller", sh->ctrl);
	atomic_fetch_add(&sh->rgen, 1);
	e = write_file(path, "1");
	if (e)
		fail(c, "reset: %s", ename(e));
	wait_live(c);
	sh->resets++;
	atomic_fetch_add(&sh->rgen, 1);
	step_end(c, "ok live after %.2f s", elapsed() - t0);
}

/* Unbind+bind (3 in 5) or reset at random times until the end. */
static void control_main(void)
{
	struct ctx c = { .who = "ctl" };

	c.rng = mix(opt.seed ^ 0xc0de) | 1;
	for (;;) {
		sleep_ms(1000 + rnd(&c, 5000));
		if (time(NULL) >= deadline - 2 || atomic_load(&sh->failed))
			break;
		c.step++;
		if (rnd(&c, 5) < 3)
			unbind_bind(&c);
		else
			reset(&c);
	}
	exit(0);
}

static struct stats total(void)
{
	struct stats t = { 0 };

	for (unsigned int w = 0; w < opt.workers; w++) {
		for (int op = 0; op < NR_OPS; op++)
			t.ops[op] += sh->st[w].ops[op];
		t.copies += sh->st[w].copies;
		t.verified += sh->st[w].verified;
		t.aborted += sh->st[w].aborted;
		t.faults += sh->st[w].faults;
	}
	return t;
}

static void progress(void)
{
	struct stats t = total();
	unsigned long ops = 0;

	for (int op = 0; op < NR_OPS; op++)
		ops += t.ops[op];
	printf("p2pmem-soak: %.1f min: %lu ops, %lu copies verified, %lu steps aborted, "
	       "%lu unbinds, %lu resets\n", elapsed() / 60, ops, t.verified, t.aborted,
	       sh->unbinds, sh->resets);
	fflush(stdout);
}

static void summary(void)
{
	struct stats t = total();

	printf("p2pmem-soak: seed %" PRIu64 ", %u workers, %.1f minutes\n", opt.seed,
	       opt.workers, elapsed() / 60);
	printf("ops:");
	for (int op = 0; op < NR_OPS; op++)
		printf(" %s %lu%s", op_name[op], t.ops[op], op < NR_OPS - 1 ? "," : "\n");
	printf("copies %lu: verified %lu, not completed (teardown, reset, revoked) %lu\n",
	       t.copies, t.verified, t.copies - t.verified);
	printf("steps aborted by teardown or reset %lu, revoked mappings faulted %lu\n",
	       t.aborted, t.faults);
	printf("unbinds %lu, resets %lu\n", sh->unbinds, sh->resets);
	printf("mismatches %d\n", atomic_load(&sh->mismatches));
	printf("result: %s\n", atomic_load(&sh->failed) ? "FAILED" : "OK");
}

/* What every process was doing when the run did not end in time. */
static void hang_report(void)
{
	fprintf(stderr, "p2pmem-soak: FAIL seed=%" PRIu64 ": not finished %d s after the end\n",
		opt.seed, 240);
	fprintf(stderr, "  control: %s\n", sh->ctl_doing);
	for (unsigned int w = 0; w < opt.workers; w++)
		fprintf(stderr, "  worker %u: %s\n", w, sh->w[w].doing);
}

/*
 * Wait for the processes, printing progress; a failing one stops the others
 * (they look at sh->failed before each step). False if they did not end in
 * time (they are killed then).
 */
static bool watch(pid_t *pids, unsigned int n)
{
	unsigned int left = n;
	time_t next = time(NULL) + opt.progress;
	int status;

	while (left) {
		pid_t pid = waitpid(-1, &status, WNOHANG);

		if (pid > 0) {
			left--;
			if (!WIFEXITED(status) || WEXITSTATUS(status))
				atomic_store(&sh->failed, 1);
			continue;
		}
		if (time(NULL) > deadline + 240) {
			hang_report();
			for (unsigned int i = 0; i < n; i++)
				kill(pids[i], SIGKILL);
			atomic_store(&sh->failed, 1);
			return false;
		}
		if (opt.progress && time(NULL) >= next) {
			progress();
			next += opt.progress;
		}
		sleep_ms(200);
	}
	return true;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: p2pmem-soak --bdf BDF --src DEV --dst DEV [options]\n"
		"  --bdf BDF           the CMB controller (p2pmem provider), e.g. 0000:03:00.0\n"
		"  --src DEV           data1: copies read from here (a range per worker)\n"
		"  --dst DEV           data2: copies write here (a range per worker)\n"
		"  --seed S            default: from the clock; printed first\n"
		"  --seconds N         how long to start new steps (default 60)\n"
		"  --workers N         worker processes, 1 to %d (default 3)\n"
		"  --log FILE          one line a step (default p2pmem-soak-SEED.log)\n"
		"  --progress SEC      a progress line every SEC seconds, 0: none (default 60)\n"
		"  --inject-mismatch   self-check: flip a byte of each worker's first copy\n"
		"                      read back, so the run must fail with a mismatch\n"
		"Writes 4 MiB a worker from 64 MiB on on both drives and the CMB's namespace.\n"
		"Exit status: 0 passed, 1 failed, 2 bad usage or setup.\n", MAX_WORKERS);
}

static void parse(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "bdf", required_argument, NULL, 'b' },
		{ "src", required_argument, NULL, 's' },
		{ "dst", required_argument, NULL, 'd' },
		{ "seed", required_argument, NULL, 'S' },
		{ "seconds", required_argument, NULL, 't' },
		{ "workers", required_argument, NULL, 'w' },
		{ "log", required_argument, NULL, 'l' },
		{ "progress", required_argument, NULL, 'p' },
		{ "inject-mismatch", no_argument, NULL, 'I' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct timespec now;
	int o;

	clock_gettime(CLOCK_REALTIME, &now);
	opt.seed = now.tv_sec * 1000000ULL + now.tv_nsec / 1000;
	while ((o = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (o) {
		case 'b': opt.bdf = optarg; break;
		case 's': opt.drive[DATA1] = optarg; break;
		case 'd': opt.drive[DATA2] = optarg; break;
		case 'S': opt.seed = strtoull(optarg, NULL, 0); break;
		case 't': opt.seconds = strtoul(optarg, NULL, 0); break;
		case 'w': opt.workers = strtoul(optarg, NULL, 0); break;
		case 'l': opt.log = optarg; break;
		case 'p': opt.progress = strtoul(optarg, NULL, 0); break;
		case 'I': opt.inject_mismatch = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (!opt.bdf || !opt.drive[DATA1] || !opt.drive[DATA2] || optind < argc ||
	    !opt.workers || opt.workers > MAX_WORKERS) {
		usage(stderr);
		exit(2);
	}
}

/* The shared state, the log, the SIGBUS handler; the controller must be live. */
static void setup(void)
{
	struct sigaction sa = { .sa_handler = on_sigbus };
	char path[64];

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("p2pmem-soak: mmap");
		exit(2);
	}
	if (!opt.log) {
		snprintf(path, sizeof(path), "p2pmem-soak-%" PRIu64 ".log", opt.seed);
		opt.log = strdup(path);
	}
	log_fd = open(opt.log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
	if (log_fd < 0) {
		fprintf(stderr, "p2pmem-soak: %s: %s\n", opt.log, strerror(errno));
		exit(2);
	}
	if (!ctrl_live(sh->ctrl, sh->ns)) {
		fprintf(stderr, "p2pmem-soak: %s is not a live NVMe controller with "
			"a namespace and p2pmem\n", opt.bdf);
		exit(2);
	}
	sigaction(SIGBUS, &sa, NULL);
}

int main(int argc, char **argv)
{
	pid_t pids[MAX_WORKERS + 1];
	unsigned int n = 0;

	parse(argc, argv);
	printf("p2pmem-soak: seed %" PRIu64 "\n", opt.seed);
	fflush(stdout);
	setup();
	clock_gettime(CLOCK_MONOTONIC, &t_start);
	deadline = time(NULL) + opt.seconds;
	printf("p2pmem-soak: %u workers, %u s, %s (%s), log %s\n", opt.workers, opt.seconds,
	       opt.bdf, sh->ctrl, opt.log);
	fflush(stdout);
	for (; n <= opt.workers; n++) {
		pids[n] = fork();
		if (pids[n] < 0) {
			perror("p2pmem-soak: fork");
			atomic_store(&sh->failed, 1);
			break;
		}
		if (pids[n] == 0) {
			if (n == opt.workers)
				control_main();
			worker_main(n);
		}
	}
	watch(pids, n);
	summary();
	return atomic_load(&sh->failed) ? 1 : 0;
}
