// SPDX-License-Identifier: GPL-2.0
/*
 * Walk a block device down to its PCI functions and ask the kernel, per function, whether it
 * reaches a p2pmem provider (see reach.h). The walk follows what sysfs shows on 6.1:
 * - a partition: its disk;
 * - an md or dm volume: each entry of slaves/;
 * - a native-multipath head nvmeSnH (or its generic char device ngSnH): the path device
 *   nvmeScCnH in each controller nvmeC of the subsystem nvme-subsysS;
 * - anything else: the PCI function above its device, if there is one.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "reach.h"

#define WALK_DEPTH 8	/* dm on md on partitions on heads is 4 */

/* strcpy that cuts src to fit dst[len]. */
static void copy(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static const char *base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* The real path of dir/name into out[PATH_MAX], or -1. */
static int resolve(const char *dir, const char *name, char *out)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return errno = ENAMETOOLONG, -1;
	return realpath(path, out) ? 0 : -1;
}

static int exists(const char *dir, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return !access(path, F_OK);
}

int reach_provider_bdf(const char *where, char *bdf, size_t len)
{
	char path[PATH_MAX], real[PATH_MAX];
	const char *name = strncmp(where, "/dev/", 5) ? where : where + 5;
	char *s;

	if (!strncmp(name, "nvme", 4) && !strchr(name, '/')) {
		snprintf(path, sizeof(path), "/sys/class/nvme/%s", name);
		if (resolve(path, "device", real))
			return -1;
	} else if (strchr(where, ':') && !strchr(where, '/')) {
		copy(bdf, len, where);
		return 0;
	} else {
		/* BDF/p2pmem/allocate */
		if (!realpath(where, real))
			return -1;
		s = strrchr(real, '/');
		if (!s || strcmp(s, "/allocate") || (*s = '\0', !(s = strrchr(real, '/'))) ||
		    strcmp(s, "/p2pmem"))
			return errno = EINVAL, -1;
		*s = '\0';
	}
	copy(bdf, len, base(real));
	return 0;
}

int reach_lookup(const char *bdf, const char *provider, struct reach *r)
{
	char path[PATH_MAX], prov[64], how[16], why[256];
	int dist, found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/p2pdma_providers", bdf);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (!found && fscanf(f, "%63s %15s %d %255s", prov, how, &dist, why) == 4)
		found = !strcmp(prov, provider);
	fclose(f);
	copy(r->bdf, sizeof(r->bdf), bdf);
	if (!found) {
		copy(r->path, sizeof(r->path), "?");
		r->distance = -1;
		copy(r->reasons, sizeof(r->reasons), "the provider has no p2pmem registered");
		return 0;
	}
	copy(r->path, sizeof(r->path), how);
	r->distance = dist;
	copy(r->reasons, sizeof(r->reasons), why);
	return 0;
}

struct walk {
	const char *provider;
	struct reach *out;
	int max, n;
};

/* Cut dev[PATH_MAX] back to its closest ancestor on the PCI bus; 0 if there is one. */
static int pci_ancestor(char *dev)
{
	char sub[PATH_MAX];
	char *s;

	while ((s = strrchr(dev, '/')) && s > dev) {
		if (!resolve(dev, "subsystem", sub) && !strcmp(base(sub), "pci"))
			return 0;
		*s = '\0';
	}
	return -1;
}

static void add_leaf(struct walk *w, const char *dir)
{
	struct reach r = { .distance = -1 };
	char dev[PATH_MAX];

	copy(r.leaf, sizeof(r.leaf), base(dir));
	if (!resolve(dir, "device", dev) && !pci_ancestor(dev)) {
		if (reach_lookup(base(dev), w->provider, &r)) {
			copy(r.bdf, sizeof(r.bdf), base(dev));
			copy(r.path, sizeof(r.path), "?");
			copy(r.reasons, sizeof(r.reasons),
			     "the kernel has no p2pdma_providers file (not this series, or no P2PDMA)");
		}
	}
	if (!r.bdf[0]) {
		copy(r.path, sizeof(r.path), "none");
		copy(r.reasons, sizeof(r.reasons), "not-pci");
	}
	if (w->n < w->max)
		w->out[w->n] = r;
	w->n++;
}

static int walk_dir(struct walk *w, const char *dir, int depth);

/* Each entry of dir/sub that resolves: the slaves of a volume. */
static int walk_entries(struct walk *w, const char *dir, const char *sub, int depth)
{
	char path[PATH_MAX], real[PATH_MAX];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && !resolve(path, de->d_name, real)) {
			walk_dir(w, real, depth + 1);
			n++;
		}
	closedir(d);
	return n;
}

/* The paths of head nvmeSnH (or ngSnH) in subsystem directory subsys. */
static int walk_head(struct walk *w, const char *subsys, const char *name, int depth)
{
	unsigned int s, h, c;
	char path[64], real[PATH_MAX];
	struct dirent *de;
	int n = 0;
	DIR *d;

	if (sscanf(name, "nvme%un%u", &s, &h) != 2 && sscanf(name, "ng%un%u", &s, &h) != 2)
		return 0;
	d = opendir(subsys);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char ctrl[PATH_MAX];

		if (sscanf(de->d_name, "nvme%u", &c) != 1 || resolve(subsys, de->d_name, ctrl))
			continue;
		snprintf(path, sizeof(path), "nvme%uc%un%u", s, c, h);
		if (!resolve(ctrl, path, real)) {
			walk_dir(w, real, depth + 1);
			n++;
		}
	}
	closedir(d);
	return n;
}

static int walk_dir(struct walk *w, const char *dir, int depth)
{
	char up[PATH_MAX];

	if (depth > WALK_DEPTH)
		return errno = ELOOP, -1;
	if (exists(dir, "partition")) {
		copy(up, sizeof(up), dir);
		*strrchr(up, '/') = '\0';
		return walk_dir(w, up, depth + 1);
	}
	if (walk_entries(w, dir, "slaves", depth))
		return 0;
	/* A head, or its generic char device: the parent is nvme-subsysS. */
	copy(up, sizeof(up), dir);
	*strrchr(up, '/') = '\0';
	if (!strncmp(base(up), "nvme-subsys", 11))
		return walk_head(w, up, base(dir), depth) ? 0 : (add_leaf(w, dir), 0);
	add_leaf(w, dir);
	return 0;
}

int reach_walk(const char *dev, const char *provider, struct reach *out, int max)
{
	struct walk w = { .provider = provider, .out = out, .max = max };
	char sys[64], dir[PATH_MAX];
	struct stat st;

	if (stat(dev, &st))
		return -1;
	if (!S_ISBLK(st.st_mode) && !S_ISCHR(st.st_mode))
		return errno = ENOTBLK, -1;
	snprintf(sys, sizeof(sys), "/sys/dev/%s/%u:%u", S_ISBLK(st.st_mode) ? "block" : "char",
		 major(st.st_rdev), minor(st.st_rdev));
	if (!realpath(sys, dir))
		return -1;
	if (S_ISCHR(st.st_mode) && strncmp(base(dir), "ng", 2))
		return errno = ENOTBLK, -1;
	if (walk_dir(&w, dir, 0))
		return -1;
	return w.n;
}
