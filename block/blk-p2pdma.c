// SPDX-License-Identifier: GPL-2.0
/*
 * PCI P2PDMA helpers of the block layer: see include/linux/blk-p2pdma.h.
 */
#include <linux/bio.h>
#include <linux/blk-p2pdma.h>
#include <linux/memremap.h>

/**
 * bio_has_p2pdma_pages - does a bio hold PCI P2PDMA pages?
 * @bio: the bio, not yet advanced by its completion
 *
 * Every segment is looked at: nothing keeps a bio's pages of one kind.
 */
bool bio_has_p2pdma_pages(struct bio *bio)
{
	struct bvec_iter iter;
	struct bio_vec bv;

	if (!bio_has_data(bio))
		return false;
	bio_for_each_bvec(bv, bio, iter)
		if (is_pci_p2pdma_page(bv.bv_page))
			return true;
	return false;
}
EXPORT_SYMBOL_GPL(bio_has_p2pdma_pages);

/* Whether every page of a bio, advanced by its completion or not, is one. */
static bool bio_pages_all_p2pdma(struct bio *bio)
{
	struct bvec_iter_all iter;
	struct bio_vec *bv;

	if (!bio->bi_vcnt)
		return false;
	bio_for_each_segment_all(bv, bio, iter)
		if (!is_pci_p2pdma_page(bv->bv_page))
			return false;
	return true;
}

/**
 * blk_rq_release_p2pdma_pages - drop a user mapping's P2PDMA pages early
 * @bio: the first bio of a passthrough request's user mapping
 *	 (blk_rq_map_user_iov()), whose device is done with it
 *
 * blk_rq_unmap_user() runs in the submitter's context. Where it is deferred
 * to the submitter's task_work (io_uring passthrough), a stopped or frozen
 * submitter runs none, keeps the pages pinned for as long as it is stopped,
 * and the teardown of their provider waits for it. Drop the references of
 * bios whose pages are all P2PDMA pages now: they need no dirtying (no page
 * cache, no swap), and the device finished its DMA. blk_rq_unmap_user() then
 * frees the bios only. Any context.
 */
void blk_rq_release_p2pdma_pages(struct bio *bio)
{
	for (; bio; bio = bio->bi_next) {
		/* A copied (bounce) bio's pages are the kernel's own. */
		if (bio->bi_private || bio_flagged(bio, BIO_NO_PAGE_REF) ||
		    !bio_pages_all_p2pdma(bio))
			continue;
		bio_release_pages(bio, false);
		bio_set_flag(bio, BIO_NO_PAGE_REF);
	}
}
EXPORT_SYMBOL_GPL(blk_rq_release_p2pdma_pages);
