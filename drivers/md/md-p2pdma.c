// SPDX-License-Identifier: GPL-2.0
/*
 * md: PCI P2PDMA on arrays whose members all take it.
 *
 * linear, RAID0 and RAID1 hand the caller's pages to the members untouched,
 * so an array of theirs can take P2PDMA pages (a mapping of an NVMe CMB, say)
 * while every member queue can. The other personalities read or compute the
 * data with the CPU (parity, copies), and their arrays never advertise it:
 * I/O from P2PDMA memory to them fails with -EREMOTEIO before a bio is built.
 */
#include <linux/blkdev.h>
#include <linux/raid/md_u.h>

#include "md.h"

static bool md_level_passes_p2pdma(int level)
{
	return level == LEVEL_LINEAR || level == 0 || level == 1;
}

/**
 * md_update_p2pdma - advertise PCI P2PDMA while the array can take it
 * @mddev: the array, with its reconfig_mutex held
 *
 * Called when the array starts, changes level, or a member joins or leaves.
 * Faulty members get no I/O and do not count. When the answer turns false on
 * a running array, bios that got P2PDMA pages before are drained by a
 * suspend before the new member can get any; later ones fail in
 * md_handle_request().
 */
void md_update_p2pdma(struct mddev *mddev)
{
	struct request_queue *q = mddev->queue;
	bool capable = md_level_passes_p2pdma(mddev->level);
	struct md_rdev *rdev;

	if (!q)		/* dm-raid: device-mapper decides */
		return;

	rdev_for_each(rdev, mddev) {
		if (test_bit(Faulty, &rdev->flags))
			continue;
		if (!blk_queue_pci_p2pdma(bdev_get_queue(rdev->bdev)))
			capable = false;
	}

	if (capable) {
		set_bit(MD_P2PDMA_ADVERTISED, &mddev->flags);
		blk_queue_flag_set(QUEUE_FLAG_PCI_P2PDMA, q);
	} else if (blk_queue_pci_p2pdma(q)) {
		blk_queue_flag_clear(QUEUE_FLAG_PCI_P2PDMA, q);
		if (mddev->pers) {
			mddev_suspend(mddev);
			mddev_resume(mddev);
		}
	}
}
