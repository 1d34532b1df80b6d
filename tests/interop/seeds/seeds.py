"""The seed programs of the documents this project grew from, built unmodified
and run against a broker the way their documents run them.

The sources (shared/seeds/go, found beside the checkout or above it) are
copied to a temporary directory together with this folder's go.mod and go.sum
and built there in module mode, offline (GOPROXY=off: install.sh has put the
modules in the module cache). The go.mod pins what each seed imports:
kafka-go v0.4.51 for 001 and 003, and for 000 its own import path,
gopkg.in/confluentinc/confluent-kafka-go.v1, at v1.8.2 (with the librdkafka
1.8.2 it bundles); that package's blank import of
github.com/confluentinc/confluent-kafka-go/kafka/librdkafka_vendor is pinned
to the same release.

run.py calls build() once and then run() per broker, with a function that
starts the broker a seed's document describes: "single-9092" (one broker on
localhost:9092) or "cluster-9093" (three brokers on localhost:9093-9095).
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.request

import wire

HERE = os.path.dirname(os.path.abspath(__file__))
PORTS = (9092, 8080, 9093, 9094, 9095)

# name -> package directory inside shared/seeds/go
PROGRAMS = {
    "seed-000-producer": "000-confluent/producer",
    "seed-000-consumer": "000-confluent/consumer",
    "seed-001-producer": "001-kafka-go/producer",
    "seed-001-consumer": "001-kafka-go/consumer",
    "seed-003": "003-kafka-go",
}


def find_sources(root):
    """shared/seeds/go beside the checkout (CI) or beside a folder above it (a
    worktree), or None."""
    here = root
    for _ in range(3):
        here = os.path.dirname(here)
        candidate = os.path.join(here, "shared", "seeds", "go")
        if os.path.isdir(candidate):
            return candidate
    return None


def versions():
    """What go.mod pins, as the result lines show it."""
    with open(os.path.join(HERE, "go.mod")) as f:
        required = dict(re.findall(r"^\s*(\S+) (v\S+)", f.read(), re.M))
    kafka_go = "kafka-go_" + required["github.com/segmentio/kafka-go"]
    return {
        "seed-000": "confluent-kafka-go.v1_" + required["gopkg.in/confluentinc/confluent-kafka-go.v1"],
        "seed-001": kafka_go,
        "seed-003": kafka_go,
    }


def build(sources, work, go):
    """Builds every program; returns name -> binary path, or -> the error."""
    tree = os.path.join(work, "src")
    shutil.copytree(sources, tree)
    for name in ("go.mod", "go.sum"):
        shutil.copy(os.path.join(HERE, name), tree)
    env = {**os.environ, "GO111MODULE": "on", "GOPROXY": "off", "GOFLAGS": "-mod=readonly", "GOTOOLCHAIN": "local"}
    built = {}
    for name, package in PROGRAMS.items():
        binary = os.path.join(work, name)
        done = subprocess.run([go, "build", "-o", binary, "./" + package], cwd=tree, env=env,
                              capture_output=True, text=True, timeout=600)
        built[name] = binary if done.returncode == 0 else "build failed: " + " | ".join(done.stderr.strip().splitlines()[-3:])
    return built


# ----- running programs ----------------------------------------------------------


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
    """A seed program whose output (stdout and stderr) is collected line by line."""

    def __init__(self, argv):
        self.lines = []
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip())

    def received(self, text):
        return [l for l in list(self.lines) if text in l]

    def matches(self, pattern):
        return [m for m in (re.search(pattern, l) for l in list(self.lines)) if m]

    def tail(self, n=3):
        return " | ".join(self.lines[-n:])

    def exited(self, limit):
        """Waits up to limit seconds for the program to exit; its exit code or None."""
        try:
            return self.proc.wait(limit)
        except subprocess.TimeoutExpired:
            return None

    def signal(self, sig):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)

    def kill(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


def post(body):
    request = urllib.request.Request("http://localhost:8080/", data=body.encode(), method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status


# ----- the seeds -------------------------------------------------------------------


def seed_000(report, start, built):
    """The confluent-kafka-go tutorial: the consumer prints every message the
    HTTP producer forwards, and after a restart continues from its committed
    offsets without duplicates or gaps."""
    broker = start("single-9092")
    producer = Program([built["seed-000-producer"]])
    consumer = Program([built["seed-000-consumer"]])
    try:
        if not wait_for(lambda: not port_free(8080), 20):
            report("producer-to-consumer", "FAIL", "the producer did not listen on :8080: " + producer.tail())
            return
        # The consumer starts at the latest offset once it is assigned (the
        # topic appears with the first message): warm up until it sees one.
        warm = 0

        def warmed():
            nonlocal warm
            warm += 1
            post(f"warm-up {warm}")
            return bool(consumer.received("RECEIVED: warm-up"))

        if not wait_for(warmed, 90, step=0.5):
            report("producer-to-consumer", "FAIL", "the consumer never received a message: " + consumer.tail())
            return
        first = [f"seed message {i}" for i in range(20)]
        for body in first:
            post(body)
        ok = wait_for(lambda: all(consumer.received(f"RECEIVED: {b}") for b in first), 30)
        report("producer-to-consumer", "PASS" if ok else "FAIL",
               "" if ok else f"received {len(consumer.received('seed message'))} of 20")
        # The consumer auto-commits every 5 s; let it, then kill it the way
        # a developer stops it (the program has no shutdown path).
        time.sleep(6)
        consumer.kill()
        second = [f"after restart {i}" for i in range(10)]
        for body in second:
            post(body)
        consumer = Program([built["seed-000-consumer"]])
        # The killed member holds its partition until its session (45 s)
        # times out, on klamm as on Kafka.
        ok = wait_for(lambda: all(consumer.received(f"RECEIVED: {b}") for b in second), 120)
        time.sleep(1)
        again = consumer.received("seed message")
        got = consumer.received("after restart")
        clean = ok and not again and len(got) == len(second)
        report("restart-resumes", "PASS" if clean else "FAIL",
               "" if clean else f"after restart: {len(got)} of 10 new, {len(again)} duplicates")
    finally:
        consumer.kill()
        producer.kill()
        broker.stop()


ORDER = r"Processing Order: (ORD-\d+) \|"


def _orders(consumer):
    return [m.group(1) for m in consumer.matches(ORDER)]


def _run_producer(built):
    """Runs the order producer to its end (ten orders, 500 ms apart); returns
    (orders it reports sent, its failure lines, its output tail)."""
    producer = Program([built["seed-001-producer"]])
    if producer.exited(60) is None:
        producer.kill()
    return ([m.group(1) for m in producer.matches(r"Sent: (ORD-\d+)")],
            producer.received("Failed to write"), producer.tail())


def seed_001(report, start, built):
    """The kafka-go order service: the consumer is started first, as the
    document says, then the producer sends ten orders; the consumer processes
    each once, commits it, stops gracefully on SIGTERM, and when started again
    processes only what was produced since."""
    broker = start("single-9092")
    want = [f"ORD-{i}" for i in range(1, 11)]
    consumer = Program([built["seed-001-consumer"]])
    try:
        if not wait_for(lambda: consumer.received("listening for orders"), 20):
            report("orders-consumed", "FAIL", "the consumer did not start: " + consumer.tail())
            return
        sent, failed, tail = _run_producer(built)
        # The producer asks for auto-creation, and its writes are async: on
        # klamm the topic exists with the first answer and all ten go out; on
        # Kafka the controller creates it meanwhile, and the first writes
        # fail with UNKNOWN_TOPIC_OR_PARTITION (the producer logs them and
        # goes on, as the document's code does). What the producer says it
        # sent must be processed, once each, and what it lost may only be the
        # first orders, lost to the topic's creation (Kafka takes 0.5-2 s
        # for it here; at least the last three orders must go out).
        lost = want[:len(want) - len(sent)]
        creating = all("Unknown Topic Or Partition" in l or "Leader Not Available" in l for l in failed)
        ok = wait_for(lambda: sorted(_orders(consumer)) == sorted(sent), 45)
        time.sleep(1)
        got = _orders(consumer)
        clean = (ok and sent == want[len(lost):] and len(failed) == len(lost) <= 7 and creating
                 and sorted(got) == sorted(sent))
        note = f"the producer lost {', '.join(lost)} while the broker created orders-topic" if lost else ""
        report("orders-consumed", "PASS" if clean else "FAIL",
               note if clean else f"producer sent {sent} ({failed[:1] or tail}); consumer processed {got}")

        consumer.signal(signal.SIGTERM)
        code = consumer.exited(30)
        graceful = code == 0 and consumer.received("Consumer stopped gracefully")
        report("graceful-shutdown", "PASS" if graceful else "FAIL",
               "" if graceful else f"exit {code}: {consumer.tail()}")

        consumer = Program([built["seed-001-consumer"]])
        if not wait_for(lambda: consumer.received("listening for orders"), 20):
            report("restart-resumes", "FAIL", "the consumer did not start again: " + consumer.tail())
            return
        sent, failed, tail = _run_producer(built)
        ok = wait_for(lambda: len(_orders(consumer)) >= len(want), 45)
        time.sleep(2)
        got = _orders(consumer)
        clean = ok and sent == want and not failed and sorted(got) == sorted(want)
        report("restart-resumes", "PASS" if clean else "FAIL",
               "" if clean else f"second run: producer sent {len(sent)} ({failed[:1] or tail}); "
                                f"consumer processed {len(got)} orders (want the 10 new ones once): {got}")
        consumer.signal(signal.SIGTERM)
        consumer.exited(30)
    finally:
        consumer.kill()
        broker.stop()


def seed_003(report, start, built):
    """The kafka-go tutorial for a three-broker cluster on 9093-9095: one
    program writes a message a second and reads them back in a group.

    Its writer does not ask for topic creation (kafka-go v0.4 writers send
    Metadata with allow_auto_topic_creation=false) and its reader starts at
    the same time: on a broker without `message-log`, the writer's first
    write fails with UNKNOWN_TOPIC_OR_PARTITION and the program panics
    ("could not write message"), on Kafka as on klamm. The document starts
    from "a running Kafka cluster" where the topic is there; so the runner
    creates it first (one partition, replication factor 1, as auto-creation
    would) and waits until every broker knows it.

    Then, on klamm only, the program runs on a fresh cluster started with
    `--create-topics message-log` (compose's KAFKA_CREATE_TOPICS) and no
    setup at all. `auto_create_topics_enable = "always"` cannot do this: the
    writer decides from the all-topics metadata its transport cached, so no
    request ever names the topic before it panics."""
    broker = start("cluster-9093")
    try:
        try:
            wire.create_topic(broker.addresses[0], "message-log", partitions=1)
        except (OSError, ConnectionError, RuntimeError) as e:
            report("produce-and-consume", "FAIL", f"setup: creating message-log: {e}")
            return
        if not wire.wait_for_topic(broker.addresses, "message-log", 1):
            report("produce-and-consume", "FAIL", "setup: message-log has no leader on every broker after 30 s")
            return
        _seed_003_round_trip(report, "produce-and-consume", built)
    finally:
        broker.stop()
    busy = [p for p in PORTS if not wait_for(lambda: port_free(p), 15)]
    if busy:
        report("fresh-broker-create-topics", "FAIL", f"ports in use: {busy}")
        return
    broker = start("cluster-9093-fresh")
    if broker is None:
        return
    try:
        _seed_003_round_trip(report, "fresh-broker-create-topics", built)
    finally:
        broker.stop()


def _seed_003_round_trip(report, scenario, built):
    """Runs the seed 003 program until it has read its first five messages."""
    program = Program([built["seed-003"]])
    try:
        received = lambda: [int(m.group(1)) for m in program.matches(r"received:\s+this is message(\d+)$")]
        ok = wait_for(lambda: len(received()) >= 5 or program.proc.poll() is not None, 60)
        got = received()
        panics = program.received("panic:")
        clean = ok and got[:5] == list(range(5)) and not panics
        report(scenario, "PASS" if clean else "FAIL",
               "" if clean else f"received {got[:10]}; " + (panics[0] if panics else program.tail()))
    finally:
        program.kill()


def run(report_for, start, built, label):
    """Runs the seeds one at a time on their fixed ports. report_for(seed)
    gives the function that reports (scenario, outcome, reason) for it;
    label names the broker in the timing lines."""
    for name, seed in (("seed-000", seed_000), ("seed-001", seed_001), ("seed-003", seed_003)):
        started = time.time()
        report = report_for(name)
        missing = [built[p] for p in PROGRAMS if p.startswith(name) and not os.path.exists(built[p])]
        if missing:
            report("build", "FAIL", missing[0])
            continue
        busy = [p for p in PORTS if not wait_for(lambda: port_free(p), 15)]
        if busy:
            report("ports", "FAIL", f"ports in use: {busy}")
            continue
        try:
            seed(report, start, built)
        except (OSError, RuntimeError) as e:
            report("run", "FAIL", f"{type(e).__name__}: {e}")
        print(f"# {name} [{label}]: {time.time() - started:.1f} s", flush=True)
