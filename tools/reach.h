/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Can a block device's PCI functions do DMA to a p2pmem provider's memory? The kernel
 * answers per PCI function in /sys/bus/pci/devices/BDF/p2pdma_providers; this walks a
 * block device (a partition, a multipath head, an md or dm volume) down to those functions
 * and looks each one up.
 */
#ifndef REACH_H
#define REACH_H

#include <stddef.h>

struct reach {
	char leaf[64];		/* the block device at the bottom: nvme0c1n1, nullb0 */
	char bdf[32];		/* its PCI function, "" if it has none */
	char path[16];		/* bus-address, host-bridge, none; "?" if the kernel cannot tell */
	int distance;
	char reasons[256];	/* the kernel's, or ours for a leaf that is not PCI */
};

/*
 * The PCI function of a provider given as nvmeX, /dev/nvmeX, a BDF or a .../p2pmem/allocate
 * path, into bdf[len]. Returns 0, or -1 with errno set.
 */
int reach_provider_bdf(const char *where, char *bdf, size_t len);

/* The answer for one PCI function; 0, or -1 if the kernel has no p2pdma_providers file. */
int reach_lookup(const char *bdf, const char *provider, struct reach *r);

/*
 * Fill out[max] with the leaves of block or NVMe generic char device dev and their answers
 * for provider. Returns the number of leaves (more than max if out was too short), or -1
 * with errno set if dev is not a device this can walk.
 */
int reach_walk(const char *dev, const char *provider, struct reach *out, int max);

#endif
