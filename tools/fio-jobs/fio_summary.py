#!/usr/bin/env python3
"""Pair the "-cmb" jobs of fio JSON results with their "-dram" twins.

   fio_summary.py RESULT.json...   prints one line per pair; exits 1 if any job had an error
   fio_summary.py --jsonl KEY=VALUE... -- RESULT.json...
                                   one JSON object per pair instead, with the given keys added

bench/report.py imports pairs() for the benchmark table.
"""
import json
import sys


def job_figures(job):
    """IOPS, MiB/s and sys CPU microseconds per I/O of one fio job (reads and writes)."""
    iops = bw = ios = 0.0
    for d in ("read", "write"):
        iops += job[d]["iops"]
        bw += job[d]["bw_bytes"] / 2**20
        ios += job[d]["total_ios"]
    runtime_us = job["job_runtime"] * 1000.0
    sys_us = job["sys_cpu"] / 100.0 * runtime_us / ios if ios else 0.0
    return {"iops": iops, "mib_s": bw, "sys_us_per_io": sys_us, "error": job["error"]}


def load(path):
    """The jobs of one fio JSON output (fio may print notes before the JSON)."""
    text = open(path).read()
    return json.loads(text[text.index("{"):])["jobs"]


def pairs(paths):
    """[{"file", "job", "cmb": figures, "dram": figures, ratios...}] in job order."""
    out = []
    for path in paths:
        name = path.rsplit("/", 1)[-1].removesuffix(".json")
        jobs = {j["jobname"]: job_figures(j) for j in load(path)}
        for jobname, cmb in jobs.items():
            if not jobname.endswith("-cmb"):
                continue
            base = jobname.removesuffix("-cmb")
            dram = jobs.get(base + "-dram")
            if dram is None:
                sys.exit(f"fio_summary: {path}: job {jobname} has no -dram twin")
            ratio = lambda k: round(cmb[k] / dram[k], 3) if dram[k] else None
            out.append({"file": name, "job": base, "cmb": cmb, "dram": dram,
                        "iops_ratio": ratio("iops"), "bw_ratio": ratio("mib_s"),
                        "sys_cpu_ratio": ratio("sys_us_per_io")})
    return out


def main(paths):
    failed = False
    print(f"{'job':<30} {'IOPS cmb':>9} {'dram':>9} {'ratio':>6}  {'MiB/s cmb':>9} "
          f"{'dram':>7}  {'sys us/IO cmb':>13} {'dram':>6} {'ratio':>6}")
    for p in pairs(paths):
        c, d = p["cmb"], p["dram"]
        for side, f in (("cmb", c), ("dram", d)):
            if f["error"]:
                print(f"fio_summary: {p['file']} {p['job']}-{side}: fio error {f['error']}",
                      file=sys.stderr)
                failed = True
        print(f"{p['file'] + ' ' + p['job']:<30} {c['iops']:>9.0f} {d['iops']:>9.0f} "
              f"{p['iops_ratio'] or 0:>6.2f}  {c['mib_s']:>9.1f} {d['mib_s']:>7.1f}  "
              f"{c['sys_us_per_io']:>13.1f} {d['sys_us_per_io']:>6.1f} "
              f"{p['sys_cpu_ratio'] or 0:>6.2f}")
    return 1 if failed else 0


def jsonl(args):
    sep = args.index("--")
    extra = dict(a.split("=", 1) for a in args[:sep])
    for p in pairs(args[sep + 1:]):
        print(json.dumps({**extra, **p}))
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--jsonl"]:
        sys.exit(jsonl(sys.argv[2:]))
    sys.exit(main(sys.argv[1:]))
