/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PCI P2PDMA helpers of the block layer.
 *
 * Stacked block devices (md, device-mapper): GUP hands P2PDMA pages to a bio
 * only for a queue with QUEUE_FLAG_PCI_P2PDMA. A stacked driver that passes
 * the caller's pages to its members untouched may set the flag while every
 * member queue has it, and recomputes that whenever its members change. A bio
 * pinned while the flag was set can reach the driver after a member without
 * support joined; the driver must then fail it with BLK_STS_TARGET
 * (-EREMOTEIO), as GUP would have refused its pages.
 *
 * Passthrough: a driver that unmaps a request's user pages in the
 * submitter's context later than its completion drops the P2PDMA ones at
 * completion (blk_rq_release_p2pdma_pages()), so that their provider's
 * teardown never waits for a submitter that does not run.
 */
#ifndef _LINUX_BLK_P2PDMA_H
#define _LINUX_BLK_P2PDMA_H

#include <linux/blkdev.h>

#ifdef CONFIG_PCI_P2PDMA
bool bio_has_p2pdma_pages(struct bio *bio);
void blk_rq_release_p2pdma_pages(struct bio *bio);
#else
static inline bool bio_has_p2pdma_pages(struct bio *bio)
{
	return false;
}

static inline void blk_rq_release_p2pdma_pages(struct bio *bio)
{
}
#endif

/**
 * blk_stack_refuses_p2pdma - must a stacked driver fail a bio for its pages?
 * @q: the queue of the stacked device that got @bio
 * @advertised: the device has set QUEUE_FLAG_PCI_P2PDMA on @q at some time,
 *		so that its bios may hold P2PDMA pages
 * @bio: the bio
 *
 * True when @q has the flag no longer and @bio holds P2PDMA pages. A device
 * that never advertised P2PDMA pays one test for it.
 */
static inline bool blk_stack_refuses_p2pdma(struct request_queue *q,
					    bool advertised, struct bio *bio)
{
	return unlikely(advertised && !blk_queue_pci_p2pdma(q)) &&
		bio_has_p2pdma_pages(bio);
}

#endif /* _LINUX_BLK_P2PDMA_H */
