#!/usr/bin/env python3
"""The clients' own test suites as conformance tests: klamm beside Apache Kafka.

Runs franz-go's kgo tests and kafka-python's integration tests against a
fresh klamm and a fresh Apache Kafka 4.4.0, prints per suite and broker
`passed / failed / skipped` with the failing tests, and compares: a test
that passes on Kafka and fails on klamm is a gap in klamm. Known gaps are
data (known-gaps.json), each with its reason. With both brokers the run
fails when a test passes on Kafka and fails on klamm without being listed,
or when a listed test passes on klamm (the list is no longer true).

`--quick` runs the slice of quick.json (CI): fewer records, chosen tests.
Results (JSON per suite and broker, broker logs, test output) go to
target/conformance/results/. Usage: scripts/conformance --help.
"""

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import brokers  # noqa: E402
import suite_kafka_python  # noqa: E402
import suite_kgo  # noqa: E402

SUITES = ("kgo", "kafka-python")
PASS_LIKE = ("pass",)


def load(name):
    with open(os.path.join(HERE, name)) as f:
        return json.load(f)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="the CI slice of quick.json")
    p.add_argument("--broker", choices=("klamm", "kafka", "both"), default="both")
    p.add_argument("--suite", default="all", help="kgo, kafka-python or all (comma-separated)")
    p.add_argument("--klamm", default=os.path.join(ROOT, "target", "debug", "klamm"),
                   help="the klamm binary (default: target/debug/klamm)")
    p.add_argument("--only", action="append", default=[], metavar="TEST",
                   help="run only these tests (kgo: TestName; kafka-python: file.py::test_name)")
    p.add_argument("--records", type=int, help="KGO_TEST_RECORDS (default: kgo's 500000, quick: quick.json's)")
    p.add_argument("--test-timeout", type=int, help="seconds one test may take (default: 200 kgo, 120 kafka-python; quick: quick.json's)")
    p.add_argument("--rust-log", default="info", help="RUST_LOG for klamm (default: info)")
    p.add_argument("--results", default=os.path.join(ROOT, "target", "conformance", "results"))
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="a broker setting by Kafka's name (group.initial.rebalance.delay.ms=3000) for both "
                        "brokers, over the suite's own (klamm takes it as group_initial_rebalance_delay_ms)")
    args = p.parse_args()
    try:
        args.overrides = dict(item.split("=", 1) for item in args.set)
    except ValueError:
        p.error("--set takes NAME=VALUE")
    return args


def run_suite(suite, broker_kind, args, plan, results_dir):
    broker = brokers.start(broker_kind, suite, results_dir, args.klamm, args.rust_log, args.overrides)
    started = time.monotonic()
    try:
        if suite == "kgo":
            results, subtests = suite_kgo.run(broker.bootstrap, plan["tests"], plan["records"], plan["per_test"],
                                    plan["budget"], os.path.join(results_dir, f"kgo-{broker_kind}.out"))
        else:
            subtests = {}
            results = suite_kafka_python.run(broker.bootstrap, plan["tests"], plan["per_test"],
                                             plan["budget"], results_dir, f"kafka-python-{broker_kind}")
        alive = broker.alive
    finally:
        broker.stop()
    seconds = time.monotonic() - started
    if not alive:
        print(f"  !! {broker_kind} was not running any more at the end of {suite}: see {broker.log}")
    with open(os.path.join(results_dir, f"{suite}-{broker_kind}.json"), "w") as f:
        json.dump({"seconds": round(seconds, 1), "broker_alive": alive, "plan": plan,
                   "results": {t: {"status": s, "seconds": sec, "reason": r}
                               for t, (s, sec, r) in sorted(results.items())},
                   "subtests": {t: {"status": s, "seconds": sec} for t, (s, sec) in sorted(subtests.items())}},
                  f, indent=1)
    return results, subtests, seconds


def plan_for(suite, args, quick):
    """Which tests, how many records, what limits, for one suite."""
    q = quick.get(suite, {})
    if suite == "kgo":
        tests = args.only or [t for t in suite_kgo.list_tests() if not (args.quick and t in q["leave_out"])]
        records = args.records or (q["records"] if args.quick else 500000)
        per_test = args.test_timeout or (q["per_test"] if args.quick else 200)
        budget = q["budget"] if args.quick else 3600
        return {"tests": tests, "records": records, "per_test": per_test, "budget": budget}
    tests = args.only or (q.get("tests") if args.quick else None)
    return {"tests": tests, "per_test": args.test_timeout or (q["per_test"] if args.quick else 120),
            "budget": q["budget"] if args.quick else 1800}


def summary(results):
    counts = {"pass": 0, "fail": 0, "skip": 0}
    for status, _, _ in results.values():
        counts["skip" if status == "skip" else "pass" if status == "pass" else "fail"] += 1
    return counts


def report_one(suite, kind, results, seconds):
    c = summary(results)
    print(f"{suite} on {kind}: {c['pass']} passed / {c['fail']} failed / {c['skip']} skipped"
          f" ({len(results)} tests, {seconds:.0f} s)")
    for test, (status, sec, reason) in sorted(results.items()):
        if status not in ("pass", "skip"):
            print(f"    {status.upper():8} {test} ({sec:.1f} s): {reason[:300]}")


def compare(suite, by_broker, gaps):
    """Prints the comparison and returns (checks held, problems)."""
    kafka, klamm = by_broker["kafka"], by_broker["klamm"]
    listed = gaps.get(suite, {})
    gap, both, only_kafka, unexpected, stale = [], [], [], [], []
    held = 0
    for test in sorted(set(kafka) | set(klamm)):
        k, m = kafka.get(test, ("notrun",))[0], klamm.get(test, ("notrun",))[0]
        failed_k, failed_m = k not in ("pass", "skip", "notrun"), m not in ("pass", "skip", "notrun")
        if failed_k and failed_m:
            both.append(test)
        elif failed_k and m == "pass":
            only_kafka.append(test)
        # The check: where Kafka passes, klamm passes or the gap is listed;
        # a listed gap still fails on klamm.
        if k == "pass" and m != "pass" and test not in listed:
            unexpected.append(test)
        elif m == "pass" and test in listed:
            stale.append(test)
        else:
            held += 1
        if k == "pass" and m != "pass":
            gap.append(test)
    print(f"{suite}: passes on Kafka, fails on klamm ({len(gap)}):")
    for test in gap:
        reason = listed.get(test)
        tag = f"known: {reason}" if reason else "NOT IN known-gaps.json"
        print(f"    {test} [{klamm.get(test, ('notrun',))[0]}] -- {tag}")
    print(f"{suite}: fails on both ({len(both)}): {', '.join(both) or '-'}")
    print(f"{suite}: fails on Kafka only ({len(only_kafka)}): {', '.join(only_kafka) or '-'}")
    problems = [f"{suite} {t}: passes on Kafka, fails on klamm, not a known gap" for t in unexpected]
    problems += [f"{suite} {t}: listed as a known gap but passes on klamm: remove it from known-gaps.json"
                 for t in stale]
    return held, problems


def report_subtests(suite, subs):
    """Subtests that pass on Kafka and not on klamm, where the test around
    them passes on both (kgo skips its KIP-848 variants on a broker without
    KIP-848): shown, not checked; the top-level tests are the check."""
    kafka, klamm = subs.get("kafka", {}), subs.get("klamm", {})
    status = lambda results, t: results.get(t, ("notrun", 0))[0]  # noqa: E731
    differ = [t for t in sorted(kafka) if status(kafka, t) == "pass" and status(klamm, t) != "pass"]
    if differ:
        print(f"{suite}: subtests passing on Kafka, not on klamm ({len(differ)}): "
              + ", ".join(f"{t} [{status(klamm, t)}]" for t in differ))


def main():
    args = parse_args()
    quick = load("quick.json")
    gaps = load("known-gaps.json")
    suites = SUITES if args.suite == "all" else tuple(args.suite.split(","))
    kinds = ("klamm", "kafka") if args.broker == "both" else (args.broker,)
    if "klamm" in kinds and not os.access(args.klamm, os.X_OK):
        sys.exit(f"no klamm binary at {args.klamm}: cargo build --bin klamm")
    stamp = time.strftime("%Y%m%d-%H%M%S") + ("-quick" if args.quick else "")
    results_dir = os.path.join(args.results, stamp)
    os.makedirs(results_dir, exist_ok=True)
    print(f"conformance: results in {results_dir}; klamm {args.klamm}"
          + "".join(f"; {name}={value}" for name, value in args.overrides.items()))
    all_started = time.monotonic()
    checks, problems = 0, []
    for suite in suites:
        plan = plan_for(suite, args, quick)
        by_broker, subs = {}, {}
        for kind in kinds:
            results, subtests, seconds = run_suite(suite, kind, args, plan, results_dir)
            by_broker[kind] = results
            subs[kind] = subtests
            report_one(suite, kind, results, seconds)
            sys.stdout.flush()
        if len(by_broker) == 2:
            held, found = compare(suite, by_broker, gaps)
            report_subtests(suite, subs)
            checks += held
            problems += found
    print(f"conformance: {time.monotonic() - all_started:.0f} s in all")
    if len(kinds) == 2:
        for problem in problems:
            print(f"PROBLEM {problem}")
        # One check per test: it passes on klamm where it passes on Kafka, or
        # is a known gap that still fails.
        print("conformance checks (each test: same outcome as on Kafka, or a known gap):")
        print(f"conformance: {checks} passed, {len(problems)} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
