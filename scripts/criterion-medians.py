#!/usr/bin/env python3
"""Criterion medians for scripts/peer-bench.sh.

collect: prints {benchmark id: median ns} of every benchmark's last run
(target/criterion/**/new/estimates.json).
report FILES: the median over the files of each benchmark, then the ratios
of issue 15's targets, each against the floor in jexpr's binary and against
the floor built without preserve_order (group `apart_*`).
"""
import json
import os
import statistics
import sys

ROOT = os.path.join(os.path.dirname(__file__), "..", "target", "criterion")


def collect():
    medians = {}
    for dirpath, _, files in os.walk(ROOT):
        if os.path.basename(dirpath) == "new" and "estimates.json" in files:
            key = os.path.relpath(os.path.dirname(dirpath), ROOT)
            with open(os.path.join(dirpath, "estimates.json")) as f:
                medians[key] = json.load(f)["median"]["point_estimate"]
    json.dump(medians, sys.stdout, indent=1, sort_keys=True)


PEER_GROUPS = {"yardstick", "compile", "event_condition", "collection", "collection_size",
               "end_to_end", "collection_end_to_end", "journey_step", "functions"}


def report(paths):
    # A file after the peers binary (`-a`) counts only its groups, one after
    # the floors binary (`-b`) only the `apart_` ones: target/criterion also
    # holds every other benchmark's last run.
    runs = {}
    for path in paths:
        after_apart = path.endswith("-b.json")
        with open(path) as f:
            for key, ns in json.load(f).items():
                group = key.split("/")[0]
                if (group.startswith("apart_") if after_apart else group in PEER_GROUPS):
                    runs.setdefault(key, []).append(ns)
    med = {k: statistics.median(v) for k, v in runs.items()}

    def fmt(ns):
        return f"{ns / 1000:.2f} µs" if ns >= 1000 else f"{ns:.1f} ns"

    print("| benchmark | median | runs |")
    print("|---|---|---|")
    for key in sorted(med):
        print(f"| {key} | {fmt(med[key])} | {len(runs[key])} |")

    def ratio(label, num, den, target):
        if num in med and den in med:
            print(f"| {label} | {med[num] / med[den]:.2f}× | {target} |")

    print()
    print("| ratio | value | target |")
    print("|---|---|---|")
    for floor, name in [("", "same binary"), ("apart_", "without preserve_order")]:
        ratio(f"cel / jexpr, yardstick (cel {name})", f"{floor}yardstick/cel", "yardstick/jexpr", "≥ 5")
        ratio(f"jexpr / hand-written, event condition (floor {name})", "event_condition/jexpr",
              f"{floor}event_condition/hand_written", "≤ 1.2")
        ratio(f"cel / jexpr, collection of 3 (cel {name})", f"{floor}collection/cel", "collection/jexpr", "≥ 30")
        ratio(f"jexpr / hand-written, collection of 3 (floor {name})", "collection/jexpr",
              f"{floor}collection/hand_written", "≤ 2")
        for n in (10, 100, 1000, 10000):
            ratio(f"jexpr / hand-written, collection of {n} (floor {name})", f"collection_size/jexpr/{n}",
                  f"{floor}collection_size/hand_written/{n}", "≤ 2")
            ratio(f"cel / jexpr, collection of {n} (cel {name})", f"{floor}collection_size/cel/{n}",
                  f"collection_size/jexpr/{n}", "—")
        ratio(f"jexpr / parse-only-needed, end to end (floor {name})", "end_to_end/jexpr",
              f"{floor}end_to_end/floor_parse_needed", "≤ 1.5")
        ratio(f"jexpr / parse-only-needed, collection end to end (floor {name})",
              "collection_end_to_end/jexpr", f"{floor}collection_end_to_end/floor_parse_needed", "≤ 1.5")
        ratio(f"jexpr / hand-written, journey step (floor {name})", "journey_step/jexpr",
              f"{floor}journey_step/hand_written", "≤ 2")


if __name__ == "__main__":
    if sys.argv[1:2] == ["collect"]:
        collect()
    elif sys.argv[1:2] == ["report"]:
        report(sys.argv[2:])
    else:
        sys.exit(__doc__)
