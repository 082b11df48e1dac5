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

static bool md_p2pdma_capable(struct mddev *mddev)
{
	struct md_rdev *rdev;

	if (!md_level_passes_p2pdma(mddev->level))
		return false;
	/* Faulty members get no I/O and do not count. */
	rdev_for_each(rdev, mddev)
		if (!test_bit(Faulty, &rdev->flags) &&
		    !blk_queue_pci_p2pdma(bdev_get_queue(rdev->bdev)))
			return false;
	return true;
}

/**
 * md_update_p2pdma - advertise PCI P2PDMA while the array can take it
 * @mddev: the array
 *
 * Called when the array starts or changes level (with no bio in flight), when
 * a member left and when one failed (which can only make the answer true,
 * unless a member's own queue stopped supporting P2PDMA, and then that queue
 * fails such bios).
 */
void md_update_p2pdma(struct mddev *mddev)
{
	struct request_queue *q = mddev->queue;

	if (!q)		/* dm-raid: device-mapper decides */
		return;
	if (md_p2pdma_capable(mddev)) {
		set_bit(MD_P2PDMA_ADVERTISED, &mddev->flags);
		blk_queue_flag_set(QUEUE_FLAG_PCI_P2PDMA, q);
	} else {
		blk_queue_flag_clear(QUEUE_FLAG_PCI_P2PDMA, q);
	}
}

/**
 * md_p2pdma_recheck - advertise PCI P2PDMA again once the members allow it
 * @mddev: the array, with its reconfig_mutex held (md_check_recovery())
 *
 * A member that failed gets no more I/O, even before it is removed; if it was
 * the one that could not take P2PDMA pages, the array can take them again.
 */
void md_p2pdma_recheck(struct mddev *mddev)
{
	if (mddev->queue && !blk_queue_pci_p2pdma(mddev->queue))
		md_update_p2pdma(mddev);
}

/**
 * md_p2pdma_member_joined - stop advertising PCI P2PDMA for a new member
 * @mddev: the array, with its reconfig_mutex held
 *
 * Called when a member was bound. If it cannot take P2PDMA pages, the array
 * stops advertising them, and a running array is suspended once, so that
 * bios that got such pages before have drained before the member can get
 * any; md_handle_request() fails later ones.
 */
void md_p2pdma_member_joined(struct mddev *mddev)
{
	struct request_queue *q = mddev->queue;

	if (!q || !blk_queue_pci_p2pdma(q) || md_p2pdma_capable(mddev))
		return;
	blk_queue_flag_clear(QUEUE_FLAG_PCI_P2PDMA, q);
	if (mddev->pers) {
		mddev_suspend(mddev);
		mddev_resume(mddev);
	}
}
