#!/usr/bin/env python3
"""./paygate edge guard: watches the canary against stable from Envoy's own counters and rolls the
canary back (./paygate edge canary 0, logged as who=guard) when it fails more calls than stable by
the margin of ops/prometheus/canary.rules.yml's PaygateCanaryErrors. With --promote it also moves a
healthy canary 1 -> 5 -> 25 -> 100. Runbook: docs/operations.md, "Rollout and rollback".

What counts, per cluster, over the last --window seconds (admin /stats):
  failed attempts = calls that ended with a server-class gRPC status (grpc_stats filter:
                    cluster.<name>.grpc.<code>, the codes Envoy maps to a 5xx) + retried attempts
                    (cluster.<name>.upstream_rq_retry: each is one attempt that failed; a retry
                    stays in the cluster the route picked)
  attempts        = calls that ended (cluster.<name>.grpc.total) + retried attempts
A gRPC error is HTTP 200 + grpc-status upstream: the cluster's upstream_rq_5xx never sees it.
"""
import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request

CANARY, STABLE = "paygate_canary", "paygate_service"
# google.rpc codes Envoy's Grpc::Utility::grpcToHttpStatus maps to a 5xx: UNKNOWN, DEADLINE_EXCEEDED,
# UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS. A client's own error (4xx class) is not the build's.
SERVER_CODES = ("2", "4", "12", "13", "14", "15")
STEPS = (1, 5, 25, 100)
EDGE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "edge")


def admin_get(admin, path):
    with urllib.request.urlopen(admin + path, timeout=5) as answer:
        return json.load(answer)


def counters(admin):
    """{cluster: (attempts, failed)} since Envoy started."""
    stats = admin_get(admin, "/stats?format=json&filter=" + urllib.request.quote(
        r"^cluster\.paygate_(service|canary)\.(grpc\.[0-9a-z]+|upstream_rq_retry)$"))["stats"]
    values = {s["name"]: s.get("value", 0) for s in stats if "name" in s}
    result = {}
    for cluster in (STABLE, CANARY):
        retried = values.get("cluster.%s.upstream_rq_retry" % cluster, 0)
        ended = values.get("cluster.%s.grpc.total" % cluster, 0)
        errors = sum(values.get("cluster.%s.grpc.%s" % (cluster, code), 0) for code in SERVER_CODES)
        result[cluster] = (ended + retried, errors + retried)
    return result


def canary_weight(admin):
    entry = admin_get(admin, "/runtime")["entries"].get("paygate.rollout." + CANARY, {})
    try:
        return int(entry.get("final_value", "0"))
    except ValueError:
        return 0


def set_weight(percent, why):
    """The same path as an operator's ./paygate edge canary PERCENT: kept on disk and logged."""
    env = dict(os.environ, PAYGATE_OPERATOR="guard")
    print("guard: %s -> ./paygate edge canary %d" % (why, percent), flush=True)
    subprocess.run([EDGE, "canary", str(percent)], env=env, check=True)


def ratio(attempts, failed):
    return failed / attempts if attempts else 0.0


def main():
    parser = argparse.ArgumentParser(prog="./paygate edge guard", description=__doc__.split("\n\n")[0])
    parser.add_argument("--admin", default="http://127.0.0.1:%s" % os.environ.get("PAYGATE_ENVOY_ADMIN_PORT", "9901"))
    parser.add_argument("--window", type=float, default=30, help="seconds of counters compared (default 30)")
    parser.add_argument("--interval", type=float, default=1, help="seconds between reads (default 1)")
    parser.add_argument("--margin", type=float, default=0.01,
                        help="canary failed share over stable's that rolls back (default 0.01: PaygateCanaryErrors')")
    parser.add_argument("--min-calls", type=int, default=20,
                        help="canary attempts in the window before it is judged (default 20, as the alert)")
    parser.add_argument("--promote", action="store_true", help="step a healthy canary 1 -> 5 -> 25 -> 100")
    parser.add_argument("--hold", type=float, default=300,
                        help="with --promote: healthy seconds (and --min-calls attempts) at a step before the next")
    parser.add_argument("--for", dest="duration", type=float, default=0,
                        help="stop after this many seconds (default: until rollback, promotion to 100 or Ctrl-C)")
    args = parser.parse_args()

    started = time.monotonic()
    samples = []  # (monotonic time, counters), oldest first, covering the window
    step_at, step_counters = started, None
    if args.promote and canary_weight(args.admin) == 0:
        set_weight(STEPS[0], "promote: start")
    print("guard: watching %s against %s over %gs (margin %g, at least %d canary attempts)%s"
          % (CANARY, STABLE, args.window, args.margin, args.min_calls, ", promoting" if args.promote else ""),
          flush=True)
    while True:
        now = time.monotonic()
        current = counters(args.admin)
        samples.append((now, current))
        while len(samples) > 1 and samples[1][0] <= now - args.window:
            samples.pop(0)
        oldest = samples[0][1]
        delta = {c: (current[c][0] - oldest[c][0], current[c][1] - oldest[c][1]) for c in current}
        canary_ratio, stable_ratio = ratio(*delta[CANARY]), ratio(*delta[STABLE])
        weight = canary_weight(args.admin)
        if weight > 0 and delta[CANARY][0] >= args.min_calls and canary_ratio > stable_ratio + args.margin:
            set_weight(0, "canary failed %d of %d attempts (%.1f %%), stable %d of %d (%.1f %%) in %gs"
                       % (delta[CANARY][1], delta[CANARY][0], 100 * canary_ratio,
                          delta[STABLE][1], delta[STABLE][0], 100 * stable_ratio, args.window))
            return 1
        if args.promote and weight > 0:
            if step_counters is None:
                step_counters = current
            since = current[CANARY][0] - step_counters[CANARY][0]
            if now - step_at >= args.hold and since >= args.min_calls:
                if weight >= STEPS[-1]:
                    print("guard: promoted, canary at 100 %", flush=True)
                    return 0
                next_step = next(s for s in STEPS if s > weight)
                set_weight(next_step, "promote: %d canary attempts healthy at %d %% for %gs"
                           % (since, weight, now - step_at))
                step_at, step_counters = now, current
        if args.duration and now - started >= args.duration:
            print("guard: %gs passed, canary at %d %%, failed share %.1f %% vs stable %.1f %%"
                  % (args.duration, weight, 100 * canary_ratio, 100 * stable_ratio), flush=True)
            return 0
        time.sleep(args.interval)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
