#!/usr/bin/env python3
"""What group.initial.rebalance.delay.ms costs and buys, measured.

For klamm and Apache Kafka 4.4.0 (tests/lab), each at the delays given
(default 0 and 3000), with librdkafka (confluent-kafka-python) consumers:

- one consumer: seconds from subscribe to its first record, in a new group
  over a topic that already holds records;
- three consumers started together in a new group: how many assignments
  each one went through (1 = the group formed once; each extra one is a
  rebalance) and the seconds until all three hold partitions and the six
  partitions' records are all read.

Each measurement runs `--rounds` times (default 3) on fresh group ids; the
table gives every round. Brokers bind 127.0.0.1 on free ports and are
stopped by pid. Run from the repository root after `cargo build --bin
klamm` and tests/lab/install-kafka.sh:

    python3 tests/lab/rebalance_delay_study.py [--delays 0,3000] [--rounds 3] [--broker klamm|kafka|both]
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

from apache_kafka import KafkaCluster  # noqa: E402

PARTITIONS = 6
RECORDS_PER_PARTITION = 10
LIMIT = 60.0


class Klamm:
    def __init__(self, delay_ms):
        binary = os.path.join(ROOT, "target", "debug", "klamm")
        self.proc = subprocess.Popen(
            [binary, "--listeners", "127.0.0.1:0", "--in-memory",
             "--group-initial-rebalance-delay-ms", str(delay_ms)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        for line in self.proc.stderr:
            found = re.search(r"listening on (127\.0\.0\.1:\d+)", line)
            if found:
                self.bootstrap = found.group(1)
                break
            if time.monotonic() > deadline:
                break
        else:
            self.stop()
            raise RuntimeError("klamm did not start")
        # Keep draining its log so it never blocks on a full pipe.
        threading.Thread(target=lambda: [None for _ in self.proc.stderr], daemon=True).start()

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            self.proc.wait(15)


class Kafka:
    def __init__(self, delay_ms):
        self.cluster = KafkaCluster(brokers=1, config={"group.initial.rebalance.delay.ms": str(delay_ms)})
        self.bootstrap = self.cluster.bootstrap

    def stop(self):
        self.cluster.stop()


def fill_topic(bootstrap, topic):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, PARTITIONS, 1)])[topic].result(30)
    producer = Producer({"bootstrap.servers": bootstrap})
    deadline = time.monotonic() + 30
    for p in range(PARTITIONS):
        for i in range(RECORDS_PER_PARTITION):
            while True:
                try:
                    producer.produce(topic, value=f"{p}-{i}".encode(), partition=p)
                    break
                except BufferError:
                    producer.poll(0.1)
                    if time.monotonic() > deadline:
                        raise
    if producer.flush(30) != 0:
        raise RuntimeError("records not acknowledged")


def consumer(bootstrap, group):
    return Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "auto.offset.reset": "earliest",
        "session.timeout.ms": 10000,
        "enable.auto.commit": False,
    })


def first_record(bootstrap, topic):
    """Seconds from subscribe to the first record of a lone consumer."""
    group = f"study-one-{uuid.uuid4().hex[:8]}"
    c = consumer(bootstrap, group)
    started = time.monotonic()
    c.subscribe([topic])
    try:
        while time.monotonic() - started < LIMIT:
            m = c.poll(0.05)
            if m is not None and m.error() is None:
                return time.monotonic() - started
        return float("nan")
    finally:
        c.close()


def three_together(bootstrap, topic):
    """(assignments per consumer, seconds until every record is read)."""
    group = f"study-three-{uuid.uuid4().hex[:8]}"
    assignments = [0, 0, 0]
    read = set()
    lock = threading.Lock()
    gate = threading.Barrier(3)
    done = threading.Event()
    started = [0.0]
    finished = [float("nan")]

    def run(i):
        def on_assign(_consumer, partitions):
            with lock:
                assignments[i] += 1
        c = consumer(bootstrap, group)
        gate.wait()
        c.subscribe([topic], on_assign=on_assign)
        try:
            while not done.is_set() and time.monotonic() - started[0] < LIMIT:
                m = c.poll(0.05)
                if m is not None and m.error() is None:
                    with lock:
                        read.add((m.partition(), m.offset()))
                        if len(read) == PARTITIONS * RECORDS_PER_PARTITION and not done.is_set():
                            finished[0] = time.monotonic() - started[0]
                            done.set()
            # Stay in the group until every consumer has what it will get,
            # so a rebalance from someone leaving is not counted.
            done.wait(LIMIT)
            time.sleep(1.0)
        finally:
            c.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(3)]
    # Set before any thread reads it: the clock starts when they are let go.
    started[0] = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(LIMIT + 30)
    return assignments, finished[0]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--delays", default="0,3000")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--broker", choices=("klamm", "kafka", "both"), default="both")
    args = p.parse_args()
    kinds = ("klamm", "kafka") if args.broker == "both" else (args.broker,)
    print("| broker | delay ms | lone consumer: s to first record | three together: assignments each | three together: s to all records |")
    print("|---|---|---|---|---|")
    for kind in kinds:
        for delay in [int(d) for d in args.delays.split(",")]:
            broker = (Klamm if kind == "klamm" else Kafka)(delay)
            try:
                topic = f"study-{uuid.uuid4().hex[:8]}"
                fill_topic(broker.bootstrap, topic)
                ones = [first_record(broker.bootstrap, topic) for _ in range(args.rounds)]
                threes = [three_together(broker.bootstrap, topic) for _ in range(args.rounds)]
            finally:
                broker.stop()
            print(f"| {kind} | {delay} | {' / '.join(f'{s:.2f}' for s in ones)} | "
                  f"{' / '.join(str(a) for a, _ in threes)} | {' / '.join(f'{s:.2f}' for _, s in threes)} |")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
