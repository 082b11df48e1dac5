// SPDX-License-Identifier: GPL-2.0
/*
 * NVMe over PCIe: userspace mappings of the Controller Memory Buffer.
 *
 * An mmap() of the controller character device (/dev/nvmeX) hands out fresh
 * p2pmem from the controller's CMB, as an mmap() of
 * /sys/bus/pci/devices/<bdf>/p2pmem/allocate does. Both go through
 * pci_p2pmem_alloc_mmap(): one allocator, one set of rules (MAP_SHARED at
 * offset 0, CAP_SYS_RAWIO, zeroed memory, pages that return to the pool
 * when their last reference goes).
 */
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>

#include "nvme.h"

/**
 * nvme_pci_mmap_cmb - map fresh CMB p2pmem into a process
 * @ctrl: the controller whose character device is being mapped
 * @vma: the new VMA
 *
 * Only a CMB that nvme_map_cmb() published (CMBSZ.RDS and CMBSZ.WDS set) is
 * handed out; the I/O submission queues the driver keeps in the CMB are
 * allocated from the same pool and so can never be part of a mapping.
 *
 * An open file keeps its controller, not the binding of the PCI device:
 * after an unbind and a bind, the device's p2pmem is the new controller's,
 * and a file of the old one must not get it.
 *
 * Return: 0, -ENODEV when the controller has no published CMB or has been
 * removed, or another errno of pci_p2pmem_alloc_mmap().
 */
int nvme_pci_mmap_cmb(struct nvme_ctrl *ctrl, struct vm_area_struct *vma)
{
	int ret;

	/* Removal makes the controller's state terminal first (DELETING). */
	if (nvme_state_terminal(ctrl))
		return -ENODEV;

	ret = pci_p2pmem_alloc_mmap(to_pci_dev(ctrl->dev), vma);

	/*
	 * The device may have been unbound and bound again since the check
	 * above. Removal marks the controller before its p2pmem goes, and a
	 * new binding publishes its own only after that: if the allocation
	 * found the new binding's p2pmem, the controller reads as removed
	 * now. The pages go back when mmap() unmaps the failed VMA.
	 */
	smp_rmb();
	if (!ret && nvme_state_terminal(ctrl))
		ret = -ENODEV;
	return ret;
}
