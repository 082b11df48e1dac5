#!/usr/bin/env python3
"""Turn the JSON lines of the bench guest scripts into the table and results.json.

Every figure is a ratio of medians measured in the same run: absolute times on these
emulated, shared machines mean little; ratios between cases measured side by side do.
"""
import json
import statistics
import sys

GOALS = {"maps-256": 1.2}


def main(log, out):
    rows = [json.loads(l) for l in open(log) if l.startswith("{")]
    if not rows:
        sys.exit(f"bench: no measurements in {log} (see build/vm/console.log)")
    by_case = {}
    for r in rows:
        by_case.setdefault(r["case"], []).append(r["unbind_ms"])
    base = statistics.median(by_case["maps-0"])
    table = []
    for case, vals in by_case.items():
        med = statistics.median(vals)
        ratio = med / base
        goal = GOALS.get(case)
        table.append({"measure": "unbind time", "case": case, "median_ms": round(med, 1),
                      "samples": len(vals), "ratio_to_no_mappings": round(ratio, 3),
                      "goal": goal, "met": None if goal is None else ratio <= goal})
    print(f"{'measure':<14} {'case':<12} {'median ms':>10} {'n':>3} {'ratio':>7}  goal")
    for t in table:
        goal = "" if t["goal"] is None else f"<= {t['goal']} {'met' if t['met'] else 'MISSED'}"
        print(f"{t['measure']:<14} {t['case']:<12} {t['median_ms']:>10} {t['samples']:>3} "
              f"{t['ratio_to_no_mappings']:>7}  {goal}")
    json.dump({"unbind": table, "raw": rows}, open(out, "w"), indent=1)
    print(f"bench: results in {out}")


main(*sys.argv[1:3])
