// SPDX-License-Identifier: GPL-2.0
/*
 * PCI P2PDMA on stacked block devices: see include/linux/blk-p2pdma.h.
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
