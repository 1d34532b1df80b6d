#!/usr/bin/env python3
"""The interop matrix: every client a Kafka user is likely to run, against a
freshly started klamm.

Each client program (tests/interop/clients/) runs its scenarios and prints
`VERSION ...` then `PASS|FAIL|SKIP <scenario>` lines; this runner starts a
broker for it on a free port, collects the lines and prints

    PASS client version scenario
    FAIL client version scenario: reason
    XFAIL client version scenario: reason      (known, explained failures)

then `N passed, M failed`, and exits non-zero on any unexpected failure
(an expected failure that passes counts as one too: the list must stay
true). The seed programs of ../shared/seeds/go run last, one at a time, on
their fixed ports; where ../shared is absent that step is skipped, loudly.

Then the clients that the seed 003 setup names (librdkafka, sarama,
kafka-python, and kafkajs) run their scenarios once more against a simulated
three-broker cluster on 9093-9095 (`--only cluster`).

Usage: run.py [--klamm PATH] [--only CLIENT ... | cluster | seeds]
"""

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
GO_BIN = os.path.join(ROOT, "target", "interop", "go")
SEEDS = os.path.join(os.path.dirname(ROOT), "shared", "seeds", "go")
CLIENT_TIMEOUT = 240

KAFKA_GO_REASON = (
    "Debian's kafka-go 0.2.1 speaks only request versions Kafka 4 dropped "
    "(Produce v2 with magic-1 message sets, Fetch v2, CreateTopics v0); "
    "klamm serves Produce v3+, Fetch v4+, CreateTopics v2+"
)

# The seed 003 cluster: `klamm --brokers 3 --listen 127.0.0.1:9093`, and the
# clients that run their scenarios against it, bootstrapping as the seed does.
CLUSTER_PORTS = (9093, 9094, 9095)
CLUSTER_BOOTSTRAP = ",".join(f"localhost:{p}" for p in CLUSTER_PORTS)
CLUSTER_CLIENTS = ("confluent-kafka-python", "kafka-python", "sarama", "kafkajs")

# Known failures, with their reason: (client, scenario or "*").
XFAIL = {
    ("kafka-go", "*"): KAFKA_GO_REASON,
    ("seed-003", "*"): KAFKA_GO_REASON,
}

CLIENTS = [
    ("kcat", ["python3", os.path.join(HERE, "clients", "python", "kcat.py")]),
    ("confluent-kafka-python", ["python3", os.path.join(HERE, "clients", "python", "confluent.py")]),
    ("kafka-python", ["python3", os.path.join(HERE, "clients", "python", "kafka_python.py")]),
    ("aiokafka", ["python3", os.path.join(HERE, "clients", "python", "aiokafka_client.py")]),
    ("kafkajs", ["node", os.path.join(HERE, "clients", "kafkajs", "index.js")]),
    ("confluent-kafka-go", [os.path.join(GO_BIN, "confluent")]),
    ("sarama", [os.path.join(GO_BIN, "sarama")]),
    ("kafka-go", [os.path.join(GO_BIN, "kafkago")]),
]


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.xfailed = 0
        self.skipped = 0
        self.rows = []

    def report(self, client, version, scenario, outcome, reason=""):
        known = XFAIL.get((client, scenario)) or XFAIL.get((client, "*"))
        if outcome == "PASS" and known:
            outcome, reason = "FAIL", f"passed but is listed as a known failure ({known}): update XFAIL"
        elif outcome == "FAIL" and known:
            outcome, reason = "XFAIL", f"{known} [{reason}]"
        counter = {"PASS": "passed", "FAIL": "failed", "XFAIL": "xfailed", "SKIP": "skipped"}[outcome]
        setattr(self, counter, getattr(self, counter) + 1)
        line = f"{outcome} {client} {version} {scenario}" + (f": {reason}" if reason else "")
        self.rows.append((client, version, scenario, outcome))
        print(line, flush=True)


class Broker:
    """A klamm process, stopped by its own pid."""

    def __init__(self, binary, args, cwd, env=None):
        self.log = []
        self.address = None
        ready = threading.Event()
        self.proc = subprocess.Popen(
            [binary, *args],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "RUST_LOG": "info", **(env or {})},
        )

        def drain():
            for line in self.proc.stderr:
                self.log.append(line.rstrip())
                match = re.search(r"listening on (\S+?)[ ,]", line)
                if match and not ready.is_set():
                    self.address = match.group(1)
                    ready.set()
            ready.set()

        threading.Thread(target=drain, daemon=True).start()
        if not ready.wait(20) or self.address is None:
            self.stop()
            raise RuntimeError("klamm did not start: " + " | ".join(self.log[-5:]))

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)


def run_client(results, klamm, name, command, cluster=False):
    """Runs one client program against a fresh klamm: one broker on a free port,
    or (cluster) the seed 003 setup of three brokers on 9093-9095, bootstrapped
    from all three; its results are then reported as `<name>@3-brokers`."""
    missing = [c for c in command if os.sep in c and not os.path.exists(c)]
    if missing:
        results.report(name, "-", "run", "FAIL", f"not installed: {missing[0]} (run tests/interop/install.sh)")
        return
    data = tempfile.mkdtemp(prefix=f"klamm-interop-{name}-")
    broker = None
    listen = ["--listeners", "127.0.0.1:9093", "--brokers", "3"] if cluster else ["--listeners", "127.0.0.1:0"]
    if cluster:
        name = f"{name}@3-brokers"
    try:
        broker = Broker(klamm, [*listen, "--data-dir", data], cwd=data)
        bootstrap = CLUSTER_BOOTSTRAP if cluster else broker.address
        prefix = re.sub(r"[^a-z0-9]", "", name.lower())[:12]
        started = time.time()
        try:
            done = subprocess.run(
                [*command, bootstrap, prefix],
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=CLIENT_TIMEOUT,
            )
            stdout, stderr, code = done.stdout, done.stderr, done.returncode
        except subprocess.TimeoutExpired as e:
            stdout = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
            stderr = e.stderr.decode() if isinstance(e.stderr, bytes) else (e.stderr or "")
            code = f"timeout after {CLIENT_TIMEOUT} s"
        elapsed = time.time() - started
        version, reported = "-", 0
        for line in stdout.splitlines():
            if line.startswith("VERSION "):
                version = line[len("VERSION "):].strip().replace(" ", "_")
                continue
            match = re.match(r"(PASS|FAIL|SKIP) (\S+)(?::\s*(.*))?$", line)
            if match:
                reported += 1
                results.report(name, version, match.group(2), match.group(1), match.group(3) or "")
        if code != 0 or reported == 0:
            tail = " | ".join(stderr.strip().splitlines()[-3:])
            results.report(name, version, "run", "FAIL", f"exit {code} after {elapsed:.0f} s: {tail}")
        else:
            print(f"# {name}: {reported} scenarios in {elapsed:.1f} s", flush=True)
    except RuntimeError as e:
        results.report(name, "-", "run", "FAIL", str(e))
    finally:
        if broker:
            broker.stop()
        shutil.rmtree(data, ignore_errors=True)


# ----- the seed programs -------------------------------------------------------


def port_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("0.0.0.0", port))
            return True
        except OSError:
            return False


def wait_for(condition, limit, step=0.1):
    deadline = time.time() + limit
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


class Program:
    """A seed program whose stdout is collected line by line."""

    def __init__(self, argv, env=None):
        self.lines = []
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, **(env or {})},
        )
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip())

    def received(self, prefix):
        return [l for l in self.lines if prefix in l]

    def kill(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


def build_seeds(work):
    """Builds the seed programs, unmodified, in GOPATH mode over Debian's
    library sources; the v1 import path of confluent-kafka-go points at
    Debian's copy of it."""
    gopath = os.path.join(work, "gopath")
    link = os.path.join(gopath, "src", "gopkg.in", "confluentinc", "confluent-kafka-go.v1")
    os.makedirs(os.path.dirname(link), exist_ok=True)
    os.symlink("/usr/share/gocode/src/github.com/confluentinc/confluent-kafka-go", link)
    built = {}
    for name, path in [
        ("seed-000-producer", "000-confluent/producer"),
        ("seed-000-consumer", "000-confluent/consumer"),
        ("seed-003", "003-kafka-go"),
    ]:
        source = os.path.join(gopath, "src", "seeds", path)
        shutil.copytree(os.path.join(SEEDS, path), source)
        binary = os.path.join(work, name)
        done = subprocess.run(
            ["go", "build", "-o", binary, "."],
            cwd=source,
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "GO111MODULE": "off", "GOPATH": f"{gopath}:/usr/share/gocode", "GOFLAGS": ""},
        )
        built[name] = binary if done.returncode == 0 else done.stderr.strip().splitlines()[-1:]
    return built


def post(body):
    request = urllib.request.Request("http://localhost:8080/", data=body.encode(), method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status


def seed_000(results, klamm, built, work):
    """The confluent-kafka-go tutorial: the consumer prints every message the
    HTTP producer forwards, and after a restart continues from its committed
    offsets without duplicates or gaps."""
    version = "confluent-kafka-go_0.11.6"
    for part in ("seed-000-producer", "seed-000-consumer"):
        if not isinstance(built[part], str):
            results.report("seed-000", version, "build", "FAIL", f"{part}: {built[part]}")
            return
    data = os.path.join(work, "seed-000-data")
    os.makedirs(data)
    # Started with no flags, as a user would: 0.0.0.0:9092, ./klamm-data.
    broker = Broker(klamm, [], cwd=data)
    # GOPATH builds default to the pre-1.22 HTTP mux; the seed's "POST /"
    # route needs the current one, which this setting selects at run time.
    producer = Program([built["seed-000-producer"]], env={"GODEBUG": "httpmuxgo121=0"})
    consumer = Program([built["seed-000-consumer"]])
    try:
        if not wait_for(lambda: not port_free(8080), 20):
            results.report("seed-000", version, "producer-to-consumer", "FAIL", "the producer did not listen on :8080")
            return
        # The consumer starts at the latest offset once it is assigned (the
        # topic appears with the first message): warm up until it sees one.
        warm = 0

        def warmed():
            nonlocal warm
            warm += 1
            post(f"warm-up {warm}")
            return bool(consumer.received("RECEIVED: warm-up"))

        if not wait_for(warmed, 60, step=0.5):
            results.report("seed-000", version, "producer-to-consumer", "FAIL", "the consumer never received a message")
            return
        first = [f"seed message {i}" for i in range(20)]
        for body in first:
            post(body)
        ok = wait_for(lambda: all(consumer.received(f"RECEIVED: {b}") for b in first), 30)
        results.report(
            "seed-000", version, "producer-to-consumer", "PASS" if ok else "FAIL",
            "" if ok else f"received {len(consumer.received('seed message'))} of 20",
        )
        # The consumer auto-commits every 5 s; let it, then kill it the way
        # a developer stops it (the program has no shutdown path).
        time.sleep(6)
        consumer.kill()
        second = [f"after restart {i}" for i in range(10)]
        for body in second:
            post(body)
        consumer = Program([built["seed-000-consumer"]])
        # The killed member holds its partition until its session (45 s)
        # times out, exactly as with Kafka.
        ok = wait_for(lambda: all(consumer.received(f"RECEIVED: {b}") for b in second), 120)
        time.sleep(1)
        again = consumer.received("seed message")
        got = consumer.received("after restart")
        clean = ok and not again and len(got) == len(second)
        reason = "" if clean else f"after restart: {len(got)} of 10 new, {len(again)} duplicates"
        results.report("seed-000", version, "restart-resumes", "PASS" if clean else "FAIL", reason)
    finally:
        consumer.kill()
        producer.kill()
        broker.stop()


def seed_003(results, klamm, built, work):
    """The kafka-go tutorial for a three-broker cluster on 9093-9095."""
    version = "kafka-go_0.2.1"
    if not isinstance(built["seed-003"], str):
        results.report("seed-003", version, "build", "FAIL", str(built["seed-003"]))
        return
    data = os.path.join(work, "seed-003-data")
    os.makedirs(data)
    broker = Broker(klamm, ["--listeners", "PLAINTEXT://127.0.0.1:9093", "--brokers", "3"], cwd=data)
    program = Program([built["seed-003"]])
    try:
        ok = wait_for(lambda: program.received("received: "), 20)
        time.sleep(0.5)
        panics = [l for l in program.lines if l.startswith("panic:")]
        reason = "" if ok else "nothing consumed: " + (panics[0] if panics else " | ".join(program.lines[-2:]))
        results.report("seed-003", version, "produce-and-consume", "PASS" if ok else "FAIL", reason)
    finally:
        program.kill()
        broker.stop()


def run_seeds(results, klamm):
    if not os.path.isdir(SEEDS):
        print(f"SKIP seeds: {SEEDS} is not here (../shared exists only in CI and in our checkouts)", flush=True)
        results.skipped += 1
        return
    busy = [p for p in (9092, 8080, 9093, 9094, 9095) if not port_free(p)]
    if busy:
        results.report("seeds", "-", "ports", "FAIL", f"ports in use: {busy}")
        return
    results.report(
        "seed-001", "kafka-go_v0.4", "build", "SKIP",
        "needs kafka-go's v0.4 API, which no reachable package provides (Debian has 0.2.1)",
    )
    work = tempfile.mkdtemp(prefix="klamm-seeds-")
    try:
        built = build_seeds(work)
        seed_000(results, klamm, built, work)
        seed_003(results, klamm, built, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--klamm", default=os.path.join(ROOT, "target", "debug", "klamm"))
    parser.add_argument("--only", nargs="*",
                        help="run only these clients ('cluster' for the three-broker pass, 'seeds' for the seed programs)")
    args = parser.parse_args()
    if not os.path.exists(args.klamm):
        sys.exit(f"no klamm binary at {args.klamm}: build it first (cargo build)")
    results = Results()
    started = time.time()
    for name, command in CLIENTS:
        if args.only is None or name in args.only:
            run_client(results, args.klamm, name, command)
    if args.only is None or "cluster" in args.only:
        busy = [p for p in CLUSTER_PORTS if not port_free(p)]
        if busy:
            results.report("cluster", "-", "ports", "FAIL", f"ports in use: {busy}")
        else:
            for name, command in CLIENTS:
                if name in CLUSTER_CLIENTS:
                    run_client(results, args.klamm, name, command, cluster=True)
    if args.only is None or "seeds" in args.only:
        run_seeds(results, args.klamm)
    print(f"# {results.xfailed} known failures, {results.skipped} skipped, {time.time() - started:.0f} s")
    print(f"{results.passed} passed, {results.failed} failed")
    sys.exit(1 if results.failed else 0)


if __name__ == "__main__":
    main()
