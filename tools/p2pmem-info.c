// SPDX-License-Identifier: GPL-2.0
/*
 * p2pmem-info: list the PCI p2pmem providers of this machine (sysfs p2pmem/size, available,
 * published, and the counters of userspace's use where the kernel has them) and, for NVMe
 * controllers, decode their CMB registers (CAP.CMBS, CMBLOC, CMBSZ) as read from BAR0, the
 * way nvme-cli's show-regs does. For each provider it lists which PCI functions reach its
 * memory, and how, as the kernel answers in their p2pdma_providers files; with --reach DEV,
 * it answers that for the PCI functions under a block device.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "reach.h"

#define PCI_DEVICES "/sys/bus/pci/devices"
#define NVME_REG_CAP 0x00
#define NVME_REG_CMBLOC 0x38
#define NVME_REG_CMBSZ 0x3c
#define NVME_PCI_CLASS 0x010802

/* dir/name into path[PATH_MAX]; false when it does not fit. */
static int join(char *path, const char *dir, const char *name)
{
	int n = snprintf(path, PATH_MAX, "%s/%s", dir, name);

	return n > 0 && n < PATH_MAX;
}

static int read_u64(const char *dir, const char *name, unsigned long long *val)
{
	char path[PATH_MAX];
	FILE *f;
	int ok;

	if (!join(path, dir, name))
		return -ENAMETOOLONG;
	f = fopen(path, "r");
	if (!f)
		return -errno;
	ok = fscanf(f, "%llx", val) == 1;
	if (ok && strcmp(name, "class"))
		ok = !fseek(f, 0, SEEK_SET) && fscanf(f, "%llu", val) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

/* The NVMe controller name (nvme0) of a PCI device, or NULL. */
static const char *nvme_ctrl_name(const char *pcidir, char *buf, size_t len)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	const char *found = NULL;

	if (!join(path, pcidir, "nvme"))
		return NULL;
	d = opendir(path);
	if (!d)
		return NULL;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "nvme", 4) && strlen(de->d_name) < len) {
			found = strcpy(buf, de->d_name);
			break;
		}
	closedir(d);
	return found;
}

static const char *size_str(unsigned long long bytes, char *buf, size_t len)
{
	if (bytes && !(bytes % (1ULL << 20)))
		snprintf(buf, len, "%llu MiB", bytes >> 20);
	else if (bytes && !(bytes % 1024))
		snprintf(buf, len, "%llu KiB", bytes >> 10);
	else
		snprintf(buf, len, "%llu B", bytes);
	return buf;
}

static void print_nvme_cmb(const char *pcidir)
{
	static const char *const szu_name[] = { "4 KiB", "64 KiB", "1 MiB", "16 MiB",
						"256 MiB", "4 GiB", "64 GiB" };
	unsigned long long cmb_bytes;
	char path[PATH_MAX], buf[32];
	uint32_t cmbloc, cmbsz, szu;
	volatile uint32_t *regs;
	uint64_t cap;
	int fd;

	if (!join(path, pcidir, "resource0"))
		return;
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "p2pmem-info: %s: %s (reading NVMe registers needs root)\n",
			path, strerror(errno));
		return;
	}
	regs = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (regs == MAP_FAILED) {
		fprintf(stderr, "p2pmem-info: mmap %s: %s\n", path, strerror(errno));
		return;
	}
	cap = regs[NVME_REG_CAP / 4] | (uint64_t)regs[NVME_REG_CAP / 4 + 1] << 32;
	cmbloc = regs[NVME_REG_CMBLOC / 4];
	cmbsz = regs[NVME_REG_CMBSZ / 4];
	munmap((void *)regs, 4096);

	printf("  cap     : %llx (CMBS %s)\n", (unsigned long long)cap,
	       cap >> 57 & 1 ? "supported" : "not supported");
	printf("  cmbloc  : %x (BIR %u, OFST 0x%x)\n", cmbloc, cmbloc & 7, cmbloc >> 12);
	szu = cmbsz >> 8 & 0xf;
	cmb_bytes = (unsigned long long)(cmbsz >> 12) << (12 + 4 * szu);
	printf("  cmbsz   : %x (SZ %u x %s = %s;%s%s%s%s%s)\n", cmbsz, cmbsz >> 12,
	       szu < 7 ? szu_name[szu] : "reserved", size_str(cmb_bytes, buf, sizeof(buf)),
	       cmbsz & 1 ? " SQS" : "", cmbsz & 2 ? " CQS" : "", cmbsz & 4 ? " LISTS" : "",
	       cmbsz & 8 ? " RDS" : "", cmbsz & 16 ? " WDS" : "");
}

/*
 * The counters of user p2pmem (kernels with this series: sysfs p2pmem/mapped and on, see
 * Documentation/ABI/testing/sysfs-bus-pci); nothing when the kernel has none.
 */
static void print_counters(const char *p2pdir)
{
	static const char *const names[] = {
		"mapped", "mapped_max", "mappings", "pinned", "refused_nomem",
		"refused_unpublished", "refused_revoked", "revocations", "last_revocation_wait_us",
	};
	unsigned long long v[sizeof(names) / sizeof(names[0])];
	char b[4][32];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (read_u64(p2pdir, names[i], &v[i]))
			return;
	printf("  use     : mapped %s (at most %s) in %llu mappings, pinned by I/O %s\n",
	       size_str(v[0], b[0], sizeof(b[0])), size_str(v[1], b[1], sizeof(b[1])), v[2],
	       size_str(v[3], b[2], sizeof(b[2])));
	printf("  refused : no memory %llu, unpublished %llu, revoked %llu\n", v[4], v[5], v[6]);
	printf("  revoked : %llu times, the last wait %llu us\n", v[7], v[8]);
}

static int not_dot(const struct dirent *de)
{
	return de->d_name[0] != '.';
}

/* Every PCI function's answer for this provider, in PCI address order. */
static void print_reach_table(const char *provider)
{
	char pcidir[PATH_MAX], ctrl[64];
	struct dirent **de;
	const char *name;
	int n, shown = 0;
	struct reach r;

	n = scandir(PCI_DEVICES, &de, not_dot, alphasort);
	for (int i = 0; i < n; i++) {
		if (!reach_lookup(de[i]->d_name, provider, &r)) {
			if (!shown++)
				printf("  reach   : PCI function, path, distance, why (p2pdma_providers)\n");
			name = join(pcidir, PCI_DEVICES, de[i]->d_name) ?
			       nvme_ctrl_name(pcidir, ctrl, sizeof(ctrl)) : NULL;
			printf("    %s %-7s %-11s %2d %s\n", r.bdf, name ? name : "-", r.path,
			       r.distance, r.reasons);
		}
		free(de[i]);
	}
	free(n > 0 ? de : NULL);
}

static int print_provider(const char *bdf)
{
	unsigned long long size, avail, published, class = 0;
	char pcidir[PATH_MAX], p2pdir[PATH_MAX], ctrl[64], link[PATH_MAX], drv[PATH_MAX];
	char sbuf[32], abuf[32];
	const char *name;
	ssize_t n;

	if (!join(pcidir, PCI_DEVICES, bdf) || !join(p2pdir, pcidir, "p2pmem") ||
	    read_u64(p2pdir, "size", &size) || read_u64(p2pdir, "available", &avail) ||
	    read_u64(p2pdir, "published", &published))
		return -1;
	read_u64(pcidir, "class", &class);

	n = join(link, pcidir, "driver") ? readlink(link, drv, sizeof(drv) - 1) : -1;
	drv[n > 0 ? n : 0] = '\0';
	name = nvme_ctrl_name(pcidir, ctrl, sizeof(ctrl));

	printf("%s %s%s(driver %s): size %s, available %s, published %s\n", bdf,
	       name ? name : "", name ? " " : "", n > 0 ? strrchr(drv, '/') + 1 : "none",
	       size_str(size, sbuf, sizeof(sbuf)), size_str(avail, abuf, sizeof(abuf)),
	       published ? "yes" : "no");
	printf("  bytes   : size %llu, available %llu\n", size, avail);
	print_counters(p2pdir);
	if (class == NVME_PCI_CLASS)
		print_nvme_cmb(pcidir);
	print_reach_table(bdf);
	return 0;
}

/* --reach DEV: the answer for each PCI function under DEV; 1 if one cannot reach. */
static int print_dev_reach(const char *dev, const char *provider)
{
	struct reach r[64];
	int n, bad = 0;

	n = reach_walk(dev, provider, r, 64);
	if (n < 0) {
		fprintf(stderr, "p2pmem-info: %s: %s\n", dev, strerror(errno));
		return 2;
	}
	printf("%s and the p2pmem of %s:\n", dev, provider);
	for (int i = 0; i < n && i < 64; i++) {
		printf("  %s %s %s %d %s\n", r[i].leaf, r[i].bdf[0] ? r[i].bdf : "-", r[i].path,
		       r[i].distance, r[i].reasons);
		bad |= !strcmp(r[i].path, "none");
	}
	return bad;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: p2pmem-info [-d BDF] [-r DEV]\n"
		"List PCI p2pmem providers (sysfs p2pmem/), decode NVMe CMB registers, and show\n"
		"which PCI functions reach each provider's memory.\n"
		"  -d, --device BDF   only this PCI device, e.g. 0000:03:00.0 (default: all)\n"
		"  -r, --reach DEV    instead: can the PCI functions under block device DEV\n"
		"                     (a multipath head, an md or dm volume) reach the provider(s)?\n"
		"  -h, --help         this text\n"
		"Exit status: 0 when at least one provider was listed (with --reach: when every\n"
		"function under DEV reaches it), 1 when none (does not), 2 on bad usage.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "reach", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *only = NULL, *reach_dev = NULL;
	int c, found = 0, rc = 0;
	struct dirent *de;
	DIR *d;

	while ((c = getopt_long(argc, argv, "d:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			only = optarg;
			break;
		case 'r':
			reach_dev = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}

	if (reach_dev && only)
		return print_dev_reach(reach_dev, only);
	if (only) {
		if (print_provider(only)) {
			fprintf(stderr, "p2pmem-info: %s is not a p2pmem provider (no %s/%s/p2pmem)\n",
				only, PCI_DEVICES, only);
			return 1;
		}
		return 0;
	}
	d = opendir(PCI_DEVICES);
	if (!d) {
		perror("p2pmem-info: " PCI_DEVICES);
		return 1;
	}
	while ((de = readdir(d))) {
		char p2pdir[PATH_MAX];

		if (de->d_name[0] == '.')
			continue;
		if (reach_dev) {
			snprintf(p2pdir, sizeof(p2pdir), PCI_DEVICES "/%s/p2pmem", de->d_name);
			if (access(p2pdir, F_OK))
				continue;
			found++;
			c = print_dev_reach(reach_dev, de->d_name);
			rc = c > rc ? c : rc;
		} else if (!print_provider(de->d_name)) {
			found++;
		}
	}
	closedir(d);
	if (!found) {
		fprintf(stderr,
			"p2pmem-info: no p2pmem providers (kernel without CONFIG_PCI_P2PDMA, or no device with a CMB)\n");
		return 1;
	}
	return rc;
}
