// SPDX-License-Identifier: GPL-2.0
/*
 * Test bed only: spin for a while at the entry of a kernel function, to hold
 * a race window open long enough for a test to hit it. A test loads it with
 * _kmod_load (tests/common/rc), e.g.
 *
 *	insmod delay-entry.ko func=pci_p2pdma_release ms=300
 *
 * and reads /sys/module/delay_entry/parameters/hits to show that the window
 * was opened. With pid= set (it can be written at any time), only that task
 * is delayed: for functions that other paths call all the time. The probe's
 * handler runs with preemption (and, for an int3 probe, interrupts) off, so
 * the delay is capped at one second.
 */
#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/sched.h>

static char func[KSYM_NAME_LEN];
module_param_string(func, func, sizeof(func), 0444);
MODULE_PARM_DESC(func, "the function to delay at its entry (required)");

static unsigned int ms = 100;
module_param(ms, uint, 0644);
MODULE_PARM_DESC(ms, "milliseconds to spin at each entry (at most 1000)");

static int pid;
module_param(pid, int, 0644);
MODULE_PARM_DESC(pid, "delay only this task (0: every caller)");

static atomic_t hits = ATOMIC_INIT(0);

static int hits_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&hits));
}

static const struct kernel_param_ops hits_ops = {
	.get = hits_get,
};
module_param_cb(hits, &hits_ops, NULL, 0444);
MODULE_PARM_DESC(hits, "entries delayed so far");

static int delay_entry_pre(struct kprobe *kp, struct pt_regs *regs)
{
	int only = READ_ONCE(pid);

	if (only && (!in_task() || task_pid_nr(current) != only))
		return 0;
	atomic_inc(&hits);
	mdelay(min(READ_ONCE(ms), 1000U));
	return 0;
}

static struct kprobe delay_kp = {
	.pre_handler = delay_entry_pre,
};

static int __init delay_entry_init(void)
{
	int ret;

	if (!func[0]) {
		pr_err("delay_entry: func= is required\n");
		return -EINVAL;
	}
	delay_kp.symbol_name = func;
	ret = register_kprobe(&delay_kp);
	if (ret) {
		pr_err("delay_entry: cannot probe %s: %d\n", func, ret);
		return ret;
	}
	pr_info("delay_entry: %s delayed by %u ms at each entry\n", func, ms);
	return 0;
}

static void __exit delay_entry_exit(void)
{
	unregister_kprobe(&delay_kp);
	pr_info("delay_entry: %s no longer delayed (%d hits)\n", func, atomic_read(&hits));
}

module_init(delay_entry_init);
module_exit(delay_entry_exit);
MODULE_DESCRIPTION("Test bed: delay a kernel function at its entry");
MODULE_LICENSE("GPL");
