#!/usr/bin/python3
"""Turn the JSON lines of bench/guest into the table, results.json and results.png.

Every figure is a ratio measured in the same run: absolute numbers on these emulated,
shared machines mean little; ratios between cases measured side by side do. A ratio is the
median of the per-round ratios (the two sides of a round ran minutes apart at most).
   bench/report.py LOG OUTDIR
"""
import json
import statistics
import sys

med = statistics.median


def by(rows, bench, *keys):
    """{key tuple: [rows]} of one benchmark."""
    out = {}
    for r in rows:
        if r["bench"] == bench:
            out.setdefault(tuple(r[k] for k in keys), []).append(r)
    return out


def line(table, section, case, a, b, ratio, goal=None, higher_is_better=False, unit=""):
    met = None
    if goal is not None:
        met = ratio >= goal if higher_is_better else ratio <= goal
    table.append({"section": section, "case": case, "a": a, "b": b, "unit": unit,
                  "ratio": round(ratio, 3), "goal": goal, "goal_is_minimum": higher_is_better,
                  "met": met})


def fio_lines(rows, table):
    sections = {"own": "fio, CMB's own namespace",
                "cross": "fio, across devices (QEMU bounces peer DMA)",
                "raid0": "fio, md RAID0 of data1+data2 (across devices)",
                "control": "fio A/A control, DRAM vs DRAM on the own namespace: the noise floor",
                "own-iommu": "fio with the IOMMU on (strict), CMB's own namespace: "
                             "DRAM buffers are mapped and unmapped per I/O, CMB ones not",
                "own-fixed": "fio with registered buffers (fixedbufs=1), CMB's own namespace: "
                             "DRAM pinned once, CMB registered by address (pinned per I/O)"}
    for (target, job), rs in by(rows, "fio", "target", "job").items():
        fixed = rs[0]["file"] == "fixedbufs"
        own = target == "own" and not fixed
        sec = sections[target + "-fixed" if fixed else target]
        name = f"{rs[0]['file']} {job}"
        iops = lambda side: med(r[side]["iops"] for r in rs)
        line(table, sec, name + " IOPS", iops("cmb"), iops("dram"),
             med(r["iops_ratio"] for r in rs), 0.97 if own else None, True, "IOPS")
        line(table, sec, name + " MiB/s", med(r["cmb"]["mib_s"] for r in rs),
             med(r["dram"]["mib_s"] for r in rs), med(r["bw_ratio"] for r in rs), unit="MiB/s")
        line(table, sec, name + " sys CPU/IO", med(r["cmb"]["sys_us_per_io"] for r in rs),
             med(r["dram"]["sys_us_per_io"] for r in rs),
             med(r["sys_cpu_ratio"] for r in rs), 1.05 if own else None, unit="us")


def volume_lines(rows, table):
    """The md RAID0 volume against its member data1 alone (target cross), per round."""
    cross = {(r["round"], r["job"]): r for r in rows
             if r["bench"] == "fio" and r["target"] == "cross"}
    vol = by(rows, "fio", "job")
    sec = "fio, md RAID0 of data1+data2 vs data1 alone, IOPS"
    for (job,), rs in vol.items():
        pairs = [(r, cross[(r["round"], job)]) for r in rs
                 if r["target"] == "raid0" and (r["round"], job) in cross]
        if not pairs:
            continue
        name = f"{pairs[0][0]['file']} {job}"
        for side, what in (("cmb", "CMB buffers"), ("dram", "DRAM buffers")):
            line(table, sec, f"{name}, {what}", med(v[side]["iops"] for v, _ in pairs),
                 med(m[side]["iops"] for _, m in pairs),
                 med(v[side]["iops"] / m[side]["iops"] for v, m in pairs), unit="IOPS")


def map_lines(rows, table):
    rounds = by(rows, "map-touch", "round")
    total = lambda r: r["mmap_ms"] + r["touch_ms"]
    ratios, bw = {}, []
    for rs in rounds.values():
        got = {(r["kind"], r.get("size", "64M")): r for r in rs}
        for size in ("64M", "whole"):
            if ("p2pmem", size) in got:
                p, a = got[("p2pmem", size)], got[("anon", size)]
                ratios.setdefault(size, []).append((total(p), total(a)))
        if ("p2pmem", "64M-dirty") in got:
            d, p, a = got[("p2pmem", "64M-dirty")], got[("p2pmem", "64M")], got[("anon", "64M")]
            ratios.setdefault("64M-dirty", []).append((total(d), total(a)))
            mib = d["bytes"] / 2**20
            bw.append((mib / max(d["mmap_ms"] - p["mmap_ms"], 1e-3) * 1e3,
                       mib / max(p["clear_ms"], 1e-3) * 1e3))
    sec = "mmap + first touch, p2pmem vs anonymous shared"
    cases = {"64M": ("64 MiB, cleared in the background", 0.3),
             "whole": ("the whole pool, cleared in the background", 0.3),
             "64M-dirty": ("64 MiB right after the pool was freed (mmap clears)", None)}
    for size, (case, goal) in cases.items():
        if size in ratios:
            t = ratios[size]
            line(table, sec, case, med(p for p, _ in t), med(a for _, a in t),
                 med(p / a for p, a in t), goal, unit="ms")
    if bw:
        line(table, "clearing bandwidth, uncached",
             "kernel (dirty - clean mmap) vs userspace rep stosq", med(k for k, _ in bw),
             med(u for _, u in bw), med(k / u for k, u in bw), unit="MiB/s")


def unbind_lines(rows, table):
    cases = by(rows, "unbind", "case")
    base = {r["round"]: r["unbind_ms"] for r in cases[("maps-0",)]}
    for (case,), rs in cases.items():
        if case == "maps-0":
            continue
        line(table, "unbind time vs no mappings", case, med(r["unbind_ms"] for r in rs),
             med(base.values()), med(r["unbind_ms"] / base[r["round"]] for r in rs),
             1.2 if case == "maps-256" else None, unit="ms")


def copy_lines(rows, table):
    rounds = by(rows, "copy", "round")
    pairs = [({r["buffer"]: r["mb_s"] for r in rs}) for rs in rounds.values()]
    line(table, "p2p-copy data1 -> data2 (QEMU bounces peer DMA)", "CMB buffer vs DRAM buffer",
         med(p["cmb"] for p in pairs), med(p["dram"] for p in pairs),
         med(p["cmb"] / p["dram"] for p in pairs), unit="MB/s")


def plot(table, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    short = {"fio, CMB's own": "fio own ns", "fio, across de": "fio cross-dev",
             "fio A/A contro": "fio A/A control", "fio, md RAID0 ": "fio md RAID0",
             "fio with the I": "fio own ns, IOMMU", "fio with regis": "fio own ns, fixedbufs",
             "mmap + first t": "mmap+touch", "clearing bandw": "clearing", "unbind time vs": "unbind", "p2p-copy data1": "p2p-copy"}
    labels = [f"{short.get(t['section'][:14], t['section'])}: {t['case']}" for t in table]
    fig, ax = plt.subplots(figsize=(10, 0.32 * len(table) + 1.5))
    colors = ["tab:gray" if t["met"] is None else "tab:green" if t["met"] else "tab:red"
              for t in table]
    ax.barh(range(len(table)), [t["ratio"] for t in table], color=colors)
    for i, t in enumerate(table):
        if t["goal"] is not None:
            ax.plot([t["goal"]] * 2, [i - 0.4, i + 0.4], color="black")
    ax.axvline(1.0, color="black", linewidth=0.5, linestyle=":")
    ax.set_yticks(range(len(table)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("ratio (CMB/p2pmem case over its baseline, same run); black tick = goal")
    ax.set_title("cmb-p2p make bench (green: goal met, red: missed, gray: no goal)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(log, outdir):
    rows = [json.loads(l) for l in open(log) if l.startswith("{")]
    if not rows:
        sys.exit(f"bench: no measurements in {log} (see build/vm/console.log)")
    table = []
    benches = {r["bench"] for r in rows}
    for f, bench in ((fio_lines, "fio"), (volume_lines, "fio"), (map_lines, "map-touch"),
                     (unbind_lines, "unbind"), (copy_lines, "copy")):
        if bench in benches:    # BENCH_PART=map measures map-touch only
            f(rows, table)
    section = None
    print(f"{'case':<48} {'value':>10} {'baseline':>10} {'unit':<6} {'ratio':>6}  goal")
    for t in table:
        if t["section"] != section:
            section = t["section"]
            print(f"-- {section}")
        goal = ""
        if t["goal"] is not None:
            goal = f"{'>=' if t['goal_is_minimum'] else '<='} {t['goal']} " + \
                ("met" if t["met"] else "MISSED")
        print(f"  {t['case']:<46} {t['a']:>10.1f} {t['b']:>10.1f} {t['unit']:<6} "
              f"{t['ratio']:>6.3f}  {goal}")
    json.dump({"table": table, "raw": rows}, open(f"{outdir}/results.json", "w"), indent=1)
    plot(table, f"{outdir}/results.png")
    print(f"bench: {outdir}/results.json, {outdir}/results.png")


main(*sys.argv[1:3])
