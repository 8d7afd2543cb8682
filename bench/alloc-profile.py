#!/usr/bin/env python3
"""Where the service allocates, from a JFR recording's jdk.ObjectAllocationSample events.

JFR gives each sample a relative weight (its sum is not the bytes allocated), so this prints shares:
by the first frame of the paygate code (dev.paygate.*, lambdas skipped), by the first frame outside
the JDK, and by that frame's library. Shares point at candidates; only the bench's
allocated_bytes_per_request, in a run without a recording, says what a change saved.
How to record: README, "Allocation per call (issue 19)".

    bench/alloc-profile.py RECORDING.jfr [TOP]
"""
import json
import subprocess
import sys
from collections import Counter

JDK = ("java.", "javax.", "jdk.", "sun.", "com.sun.")


def frames(event):
    trace = event["values"].get("stackTrace") or {}
    for frame in trace.get("frames", []):
        method = frame["method"]
        yield method["type"]["name"].replace("/", ".") + "." + method["name"]


def main():
    recording, top = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 25
    printed = subprocess.run(["jfr", "print", "--json", "--stack-depth", "64", "--events",
                              "jdk.ObjectAllocationSample", recording],
                             check=True, capture_output=True, text=True).stdout
    events = json.loads(printed)["recording"]["events"]
    by_paygate, by_library, by_package, total = Counter(), Counter(), Counter(), 0
    for event in events:
        weight = event["values"]["weight"]
        total += weight
        stack = list(frames(event))
        by_paygate[next((f for f in stack if f.startswith("dev.paygate.") and "$$Lambda" not in f),
                        "(no paygate frame)")] += weight
        library = next((f for f in stack if not f.startswith(JDK)), "(JDK only)")
        by_library[library] += weight
        by_package[".".join(library.split(".")[:2])] += weight
    print(f"{len(events)} samples")
    for title, sites in (("nearest paygate frame", by_paygate), ("first frame outside the JDK", by_library),
                         ("its library", by_package)):
        print(f"\n{title}:")
        for site, weight in sites.most_common(top):
            print(f"{100 * weight / total:6.1f} %  {site}")


if __name__ == "__main__":
    main()
