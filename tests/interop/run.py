#!/usr/bin/env python3
"""The interop matrix: every client a Kafka user is likely to run, against
klamm and against Apache Kafka 4.4.0 (the broker klamm imitates).

Each client program (tests/interop/clients/) runs its scenarios and prints
`VERSION ...` then `PASS|FAIL|SKIP <scenario>` lines; this runner gives it a
broker, collects the lines and prints

    PASS client version scenario [broker]
    FAIL client version scenario [broker]: reason
    XFAIL client version scenario [broker]: reason   (known, explained failures)

then `N passed, M failed`, and exits non-zero on any unexpected failure (an
expected failure that passes counts as one too: the list must stay true).

In this order:
  1. every client against one broker on a free port of 127.0.0.1, the klamm
     pass and the Kafka pass side by side (`--serial`: one after the other):
     a fresh klamm per client; one Kafka for all of them (each client's
     topics and groups carry its own prefix), which saves a JVM start per
     client;
  2. per broker, the clients that the seed 003 setup names run again against
     three brokers on 9093-9095, bootstrapped from all three (`--only
     cluster`), reported as `<client>@3-brokers`;
  3. per broker, the seed programs of shared/seeds/go (tests/interop/seeds),
     one at a time on their fixed ports (`--only seeds`); where shared/ is
     absent that step is skipped, loudly.

Kafka is tests/lab/apache_kafka.py (run tests/lab/install-kafka.sh first),
with group.initial.rebalance.delay.ms=0 as test setups of Kafka set it:
Kafka's default of 3 s delays every new group's first join.

Usage: run.py [--broker klamm|kafka|both] [--serial] [--klamm PATH] [--only NAME ...]
NAME is a client, `cluster` or `seeds`.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

# No __pycache__ beside the imported modules: they live in the checkout.
sys.dont_write_bytecode = True

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
GO_BIN = os.path.join(ROOT, "target", "interop", "go")
sys.path.insert(0, os.path.join(ROOT, "tests", "lab"))
sys.path.insert(0, os.path.join(HERE, "seeds"))

import seeds  # noqa: E402
from apache_kafka import KafkaCluster  # noqa: E402

CLIENT_TIMEOUT = 240
BROKERS = ("klamm", "kafka")
KAFKA_CONFIG = {"group.initial.rebalance.delay.ms": "0"}

# The seed 003 cluster: three brokers on 9093-9095, and the clients that run
# their scenarios against it, bootstrapping as the seed does.
CLUSTER_PORT = 9093
CLUSTER_BOOTSTRAP = ",".join(f"localhost:{p}" for p in (9093, 9094, 9095))
CLUSTER_CLIENTS = ("confluent-kafka-python", "kafka-python", "sarama", "kafkajs", "kafka-go")

KAFKA_GO_REASON = (
    "Debian's kafka-go 0.2.1 speaks only request versions Kafka 4 dropped "
    "(Produce v2 with magic-1 message sets, Fetch v2, CreateTopics v0): "
    "Kafka 4.4 closes the connection as klamm does"
)

# Known failures: (client, scenario or "*", broker or "*") -> reason. The
# cluster pass's `<client>@3-brokers` rows share their client's entries.
XFAIL = {
    ("kafka-go-old", "*", "*"): KAFKA_GO_REASON,
    ("sarama-old", "list-topics", "*"): (
        "sarama 1.22.1's ClusterAdmin.ListTopics sends DescribeConfigs v0, which Kafka 4 removed "
        "(KIP-896): Kafka 4.4 closes the connection as klamm does"
    ),
}


def go_program(name):
    return [os.path.join(GO_BIN, name)]


def java_program(main_class):
    return ["java", "-cp", os.path.join(ROOT, "target", "interop", "java", "klamm-interop.jar"),
            f"klamm.interop.{main_class}"]


def python_program(name):
    return ["python3", os.path.join(HERE, "clients", "python", name)]


CLIENTS = [
    ("kcat", python_program("kcat.py")),
    ("confluent-kafka-python", python_program("confluent.py")),
    ("kafka-python", python_program("kafka_python.py")),
    ("aiokafka", python_program("aiokafka_client.py")),
    ("kafkajs", ["node", os.path.join(HERE, "clients", "kafkajs", "index.js")]),
    ("confluent-kafka-go", go_program("confluent")),
    ("sarama", go_program("sarama")),
    ("kafka-go", go_program("kafkago")),
    ("franz-go", go_program("franz")),
    ("kafka-clients", java_program("JavaClients")),
    ("kafka-streams", java_program("StreamsWordCount")),
    ("kafka-tools", java_program("KafkaTools")),
    # Debian's old Go libraries, built from the same sources (build.sh).
    ("confluent-kafka-go-old", go_program("confluent-old")),
    ("sarama-old", go_program("sarama-old")),
    ("kafka-go-old", go_program("kafkago-old")),
]


class Results:
    def __init__(self):
        self.counts = {}  # (broker, outcome) -> n
        self.failures = []
        # Held while a client's lines are printed, so that they stay together
        # when the klamm and Kafka passes run side by side.
        self.lock = threading.RLock()

    def count(self, outcome, broker=None):
        return sum(n for (b, o), n in self.counts.items() if o == outcome and broker in (None, b))

    def report(self, broker, client, version, scenario, outcome, reason=""):
        with self.lock:
            self._report(broker, client, version, scenario, outcome, reason)

    def _report(self, broker, client, version, scenario, outcome, reason):
        base = client.split("@")[0]
        known = next((why for (c, s, b), why in XFAIL.items()
                      if c == base and s in ("*", scenario) and b in ("*", broker)), None)
        if outcome == "PASS" and known:
            outcome, reason = "FAIL", f"passed but is listed as a known failure ({known}): update XFAIL"
        elif outcome == "FAIL" and known:
            outcome, reason = "XFAIL", f"{known} [{reason}]"
        self.counts[(broker, outcome)] = self.counts.get((broker, outcome), 0) + 1
        line = f"{outcome} {client} {version} {scenario} [{broker}]" + (f": {reason}" if reason else "")
        if outcome == "FAIL":
            self.failures.append(line)
        print(line, flush=True)


# ----- brokers ---------------------------------------------------------------------


class Klamm:
    """A klamm process, stopped by its own pid."""

    def __init__(self, binary, args, cwd, brokers=1):
        self.log = []
        ready = threading.Event()
        address = []
        self.proc = subprocess.Popen(
            [binary, *args], cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True, env={**os.environ, "RUST_LOG": "info"},
        )

        def drain():
            for line in self.proc.stderr:
                self.log.append(line.rstrip())
                match = re.search(r"listening on (\S+?)[ ,]", line)
                if match and not ready.is_set():
                    address.append(match.group(1))
                    ready.set()
            ready.set()

        threading.Thread(target=drain, daemon=True).start()
        if not ready.wait(20) or not address:
            self.stop()
            raise RuntimeError("klamm did not start: " + " | ".join(self.log[-5:]))
        host, port = address[0].replace("0.0.0.0", "127.0.0.1").rsplit(":", 1)
        self.addresses = [f"{host}:{int(port) + i}" for i in range(brokers)]
        self.bootstrap = self.addresses[0]

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)


class Kafka:
    """Apache Kafka from the lab, with the matrix's settings."""

    def __init__(self, brokers=1, port=None):
        self.cluster = KafkaCluster(brokers=brokers, port=port, config=KAFKA_CONFIG)
        self.addresses = self.cluster.addresses
        self.bootstrap = self.cluster.bootstrap

    def stop(self):
        self.cluster.stop()


class Owned:
    """A broker with a data directory of its own, removed when it stops."""

    def __init__(self, broker, data):
        self.broker, self.data = broker, data
        self.addresses, self.bootstrap = broker.addresses, broker.bootstrap

    def stop(self):
        self.broker.stop()
        shutil.rmtree(self.data, ignore_errors=True)


def start_broker(kind, klamm, setup):
    """Starts the broker for a setup: "free" (one broker on a free port),
    "cluster" (three on 9093-9095), or a seed's "single-9092" (one on 9092,
    for klamm started with no flags, as a user would), "cluster-9093" or
    "cluster-9093-fresh" (klamm only, creating message-log at start:
    None for Kafka)."""
    brokers = 3 if setup.startswith("cluster") else 1
    if kind == "kafka" and setup == "cluster-9093-fresh":
        return None  # klamm's create_topics has no Kafka equivalent
    if kind == "kafka":
        port = {"free": None, "single-9092": 9092}.get(setup, CLUSTER_PORT)
        return Kafka(brokers=brokers, port=port)
    data = tempfile.mkdtemp(prefix=f"klamm-interop-{setup}-")
    args = {
        "free": ["--listeners", "127.0.0.1:0", "--data-dir", data],
        "cluster": ["--listeners", f"127.0.0.1:{CLUSTER_PORT}", "--brokers", "3", "--data-dir", data],
        "single-9092": [],  # 0.0.0.0:9092 and ./klamm-data in its working directory
        "cluster-9093": ["--listeners", f"PLAINTEXT://127.0.0.1:{CLUSTER_PORT}", "--brokers", "3"],
        "cluster-9093-fresh": ["--listeners", f"PLAINTEXT://127.0.0.1:{CLUSTER_PORT}", "--brokers", "3",
                               "--create-topics", "message-log"],
    }[setup]
    try:
        return Owned(Klamm(klamm, args, cwd=data, brokers=brokers), data)
    except BaseException:
        shutil.rmtree(data, ignore_errors=True)
        raise


# ----- clients ---------------------------------------------------------------------


def run_client(results, broker_kind, broker, name, command):
    """Runs one client program against broker and reports its lines."""
    missing = [c for c in command if os.sep in c and not os.path.exists(c)]
    if missing:
        results.report(broker_kind, name, "-", "run", "FAIL", f"not installed: {missing[0]} (run tests/interop/install.sh)")
        return
    cluster = name.endswith("@3-brokers")
    bootstrap = CLUSTER_BOOTSTRAP if cluster else broker.bootstrap
    # Unique per client and pass: one Kafka serves every client of a pass.
    prefix = re.sub(r"[^a-z0-9]", "", name.lower())[:24]
    started = time.time()
    try:
        done = subprocess.run([*command, bootstrap, prefix], cwd=ROOT, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=CLIENT_TIMEOUT)
        stdout, stderr, code = done.stdout, done.stderr, done.returncode
    except subprocess.TimeoutExpired as e:
        stdout = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        stderr = e.stderr.decode() if isinstance(e.stderr, bytes) else (e.stderr or "")
        code = f"timeout after {CLIENT_TIMEOUT} s"
    elapsed = time.time() - started
    with results.lock:
        report_lines(results, broker_kind, name, stdout, stderr, code, elapsed)


def report_lines(results, broker_kind, name, stdout, stderr, code, elapsed):
    version, reported = "-", 0
    for line in stdout.splitlines():
        if line.startswith("VERSION "):
            version = line[len("VERSION "):].strip().replace(" ", "_")
            continue
        match = re.match(r"(PASS|FAIL|SKIP) (\S+)(?::\s*(.*))?$", line)
        if match:
            reported += 1
            results.report(broker_kind, name, version, match.group(2), match.group(1), match.group(3) or "")
    if code != 0 or reported == 0:
        tail = " | ".join(stderr.strip().splitlines()[-3:])
        results.report(broker_kind, name, version, "run", "FAIL", f"exit {code} after {elapsed:.0f} s: {tail}")
    else:
        print(f"# {name} [{broker_kind}]: {reported} scenarios in {elapsed:.1f} s", flush=True)


def run_pass(results, kind, klamm, setup, clients):
    """Runs clients against kind's broker for setup: a fresh klamm each, or
    one Kafka for all."""
    suffix = "@3-brokers" if setup == "cluster" else ""
    if setup == "cluster":
        busy = [p for p in (9093, 9094, 9095) if not seeds.wait_for(lambda: seeds.port_free(p), 15)]
        if busy:
            results.report(kind, "cluster", "-", "ports", "FAIL", f"ports in use: {busy}")
            return
    shared = None
    try:
        if kind == "kafka" and clients:
            shared = start_broker(kind, klamm, setup)
        for name, command in clients:
            broker = shared or start_broker(kind, klamm, setup)
            try:
                run_client(results, kind, broker, name + suffix, command)
            finally:
                if broker is not shared:
                    broker.stop()
    except RuntimeError as e:
        results.report(kind, "broker", "-", setup, "FAIL", str(e))
    finally:
        if shared:
            shared.stop()


def run_seeds(results, kind, klamm, built):
    names = seeds.versions()
    seeds.run(lambda seed: lambda scenario, outcome, reason="": results.report(
                  kind, seed, names[seed], scenario, outcome, reason),
              lambda setup: start_broker(kind, klamm, setup), built, kind)


def timed(timings, what, fn, results, kind, *args):
    """Runs a pass, notes its time; an unexpected error is a failure of it."""
    started = time.time()
    try:
        fn(results, kind, *args)
    except Exception as e:  # noqa: BLE001 - reported, so the other passes still run
        results.report(kind, what.replace(" ", "-"), "-", "run", "FAIL", f"{type(e).__name__}: {e}")
    timings.append((what, time.time() - started))


def go_command():
    """The machine's Go (/usr/local/go/bin first: a `go` that an old install
    left in another PATH directory is not the one the go.mod files expect)."""
    for candidate in ("/usr/local/go/bin/go", shutil.which("go")):
        if candidate and os.path.exists(candidate):
            return candidate
    return "go"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--broker", choices=("klamm", "kafka", "both"), default="both",
                        help="which broker the clients run against (default: both)")
    parser.add_argument("--serial", action="store_true",
                        help="run the klamm and Kafka client passes one after the other")
    parser.add_argument("--klamm", default=os.path.join(ROOT, "target", "debug", "klamm"))
    parser.add_argument("--only", nargs="*",
                        help="run only these clients ('cluster' for the three-broker pass, 'seeds' for the seed programs)")
    args = parser.parse_args()
    kinds = BROKERS if args.broker == "both" else (args.broker,)
    if "klamm" in kinds and not os.path.exists(args.klamm):
        sys.exit(f"no klamm binary at {args.klamm}: build it first (cargo build)")
    wanted = lambda name: args.only is None or name in args.only
    results = Results()
    started = time.time()
    timings = []

    sources = seeds.find_sources(ROOT) if wanted("seeds") else None
    work = tempfile.mkdtemp(prefix="klamm-seeds-")
    try:
        built = None
        if sources:
            t0 = time.time()
            built = seeds.build(sources, work, go_command())
            timings.append(("seed builds", time.time() - t0))
        # The free-port passes of klamm and Kafka run side by side (the
        # clients mostly wait: on 2 cores this halves their time); the
        # cluster passes and the seeds need the fixed ports, one at a time.
        clients = [c for c in CLIENTS if wanted(c[0])]
        passes = [threading.Thread(target=timed, args=(timings, f"{kind} clients", run_pass,
                                                       results, kind, args.klamm, "free", clients))
                  for kind in kinds]
        for thread in passes:
            thread.start()
            if args.serial:
                thread.join()
        for thread in passes:
            thread.join()
        for kind in kinds:
            if wanted("cluster"):
                timed(timings, f"{kind} cluster", run_pass, results, kind, args.klamm, "cluster",
                      [c for c in CLIENTS if c[0] in CLUSTER_CLIENTS])
            if wanted("seeds"):
                if built:
                    timed(timings, f"{kind} seeds", run_seeds, results, kind, args.klamm, built)
                else:
                    print("SKIP seeds: shared/seeds/go is not beside the checkout or above it "
                          "(it is in CI and in our checkouts)", flush=True)
                    results.counts[(kind, "SKIP")] = results.counts.get((kind, "SKIP"), 0) + 1
    finally:
        shutil.rmtree(work, ignore_errors=True)

    for kind in kinds:
        print(f"# [{kind}] {results.count('PASS', kind)} passed, {results.count('FAIL', kind)} failed, "
              f"{results.count('XFAIL', kind)} known failures, {results.count('SKIP', kind)} skipped")
    print("# time: " + ", ".join(f"{what} {secs:.0f} s" for what, secs in timings)
          + f"; total {time.time() - started:.0f} s")
    for line in results.failures:
        print(f"# failed: {line}")
    print(f"{results.count('PASS')} passed, {results.count('FAIL')} failed")
    sys.exit(1 if results.count("FAIL") else 0)


if __name__ == "__main__":
    main()
