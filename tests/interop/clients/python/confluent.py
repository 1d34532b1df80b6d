#!/usr/bin/env python3
"""Interop scenarios for klamm driven by confluent-kafka (librdkafka).

Usage: python3 confluent.py <bootstrap host:port> <prefix>

Prints `VERSION <confluent-kafka version>` and then one PASS/FAIL/SKIP line per
scenario on stdout; everything else goes to stderr. Producers run with
idempotence off (klamm has no InitProducerId yet). Every wait is bounded: a
scenario gets at most 30 s and the program at most ~2 minutes; a watchdog
reports a hung scenario and exits if a library call never returns.
"""

import logging
import os
import sys
import threading
import time

import confluent_kafka
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

SCENARIO_SECONDS = 30.0
PROGRAM_SECONDS = 110.0
SETTLE_SECONDS = 1.5  # extra polling after the expected count, to catch duplicates

log = logging.getLogger("confluent")


class Fail(Exception):
    pass


class Skip(Exception):
    pass


# --------------------------------------------------------------------------- harness

_out_lock = threading.Lock()
_started = time.monotonic()
_current = {"name": None, "deadline": None, "done": False}


def emit(line):
    with _out_lock:
        if _current["done"]:
            return
        sys.stdout.write(line.replace("\n", " ") + "\n")
        sys.stdout.flush()


def left(deadline):
    return max(0.0, deadline - time.monotonic())


def watchdog(remaining_names):
    """Ends the program if a scenario overruns its deadline by a grace period
    (a library call that never returns); reports what was not run."""
    while True:
        time.sleep(0.5)
        name, deadline = _current["name"], _current["deadline"]
        if name is None or deadline is None:
            continue
        if time.monotonic() > deadline + 5.0:
            with _out_lock:
                out = [f"FAIL {name}: hung past its {SCENARIO_SECONDS:.0f}s deadline (library call did not return)"]
                idx = remaining_names.index(name)
                out += [f"FAIL {n}: not run, an earlier scenario hung" for n in remaining_names[idx + 1:]]
                sys.stdout.write("\n".join(out) + "\n")
                sys.stdout.flush()
                _current["done"] = True
            os._exit(0)


def run_scenarios(scenarios):
    names = [n for n, _ in scenarios]
    threading.Thread(target=watchdog, args=(names,), daemon=True).start()
    for name, fn in scenarios:
        remaining = PROGRAM_SECONDS - (time.monotonic() - _started)
        if remaining < 2.0:
            emit(f"FAIL {name}: not run, program time budget exhausted")
            continue
        deadline = time.monotonic() + min(SCENARIO_SECONDS, remaining)
        _current.update(name=name, deadline=deadline)
        t0 = time.monotonic()
        try:
            fn(deadline)
            if time.monotonic() > deadline:
                raise Fail("finished after its deadline")
            emit(f"PASS {name}")
        except Skip as e:
            emit(f"SKIP {name}: {e}")
        except Exception as e:  # noqa: BLE001 - any error is a scenario failure
            log.exception("scenario %s failed", name)
            reason = str(e) if isinstance(e, Fail) else f"{type(e).__name__}: {e}"
            emit(f"FAIL {name}: {reason}")
        finally:
            _current.update(name=None, deadline=None)
            log.info("scenario %s took %.1fs", name, time.monotonic() - t0)


# --------------------------------------------------------------------------- helpers


class Client:
    def __init__(self, bootstrap, prefix):
        self.bootstrap = bootstrap
        self.prefix = prefix
        self.part_of = {}  # key -> partition reported when producing to <prefix>-three
        self.group_consumer = None  # consumer of group-consume, reused by commit-resume

    def producer(self, **extra):
        conf = {
            "bootstrap.servers": self.bootstrap,
            "enable.idempotence": False,
            "acks": "all",
            "linger.ms": 5,
            "message.timeout.ms": 20000,
        }
        conf.update(extra)
        return Producer(conf)

    def consumer(self, group, **extra):
        conf = {
            "bootstrap.servers": self.bootstrap,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "heartbeat.interval.ms": 1000,
            "session.timeout.ms": 10000,
        }
        conf.update(extra)
        return Consumer(conf)

    def admin(self):
        return AdminClient({"bootstrap.servers": self.bootstrap})

    # -- produce / consume primitives

    def produce(self, producer, topic, records, deadline, headers=None):
        """Produces (key, value) pairs; returns the delivered messages in order of acks."""
        delivered, errors = [], []

        def on_delivery(err, msg):
            (errors if err else delivered).append(err or msg)

        for key, value in records:
            producer.produce(topic, key=key, value=value, headers=headers, on_delivery=on_delivery)
            producer.poll(0)
        unacked = producer.flush(left(deadline))
        if errors:
            raise Fail(f"{len(errors)} of {len(records)} records failed delivery, first: {errors[0]}")
        if unacked:
            raise Fail(f"{unacked} of {len(records)} records not acknowledged before the deadline")
        if len(delivered) != len(records):
            raise Fail(f"{len(delivered)} delivery reports for {len(records)} records")
        return delivered

    def poll_until(self, consumer, expected, deadline, settle=SETTLE_SECONDS):
        """Polls until `expected` messages arrived, then `settle` seconds more."""
        got, settle_until = [], None
        while time.monotonic() < deadline and (settle_until is None or time.monotonic() < settle_until):
            msg = consumer.poll(min(0.5, max(0.05, left(deadline))))
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    continue
                raise Fail(f"consumer error: {msg.error()}")
            got.append(msg)
            if len(got) >= expected and settle_until is None:
                settle_until = min(deadline, time.monotonic() + settle)
        return got

    def read_topic(self, topic, expected, deadline):
        """Reads a topic from the beginning by manual assignment."""
        c = self.consumer(f"{self.prefix}-reader-{topic}")
        try:
            md = c.list_topics(topic, timeout=left(deadline))
            parts = md.topics[topic].partitions
            if not parts:
                raise Fail(f"no partitions in metadata for {topic}")
            c.assign([TopicPartition(topic, p, confluent_kafka.OFFSET_BEGINNING) for p in parts])
            return self.poll_until(c, expected, deadline)
        finally:
            c.close()

    @staticmethod
    def check_exactly(msgs, expected_keys, what):
        keys = [m.key().decode() for m in msgs]
        dup = {k for k in keys if keys.count(k) > 1}
        if dup:
            raise Fail(f"{what}: duplicates, e.g. {sorted(dup)[:3]} ({len(keys)} records)")
        missing, extra = set(expected_keys) - set(keys), set(keys) - set(expected_keys)
        if missing or extra:
            raise Fail(f"{what}: got {len(keys)} records; missing {len(missing)} (e.g. {sorted(missing)[:3]}), "
                       f"unexpected {len(extra)} (e.g. {sorted(extra)[:3]})")
        for m in msgs:
            k, v = m.key().decode(), m.value().decode()
            if v != "v" + k[1:]:
                raise Fail(f"{what}: key {k} has value {v!r}")

    # -- scenarios

    def produce_auto_topic(self, deadline):
        p = self.producer()
        recs = [(f"k{i}", f"v{i}") for i in range(100)]
        delivered = self.produce(p, f"{self.prefix}-auto", recs, deadline)
        bad = [m for m in delivered if m.offset() is None or m.offset() < 0]
        if bad:
            raise Fail(f"{len(bad)} acks without an offset")

    def create_topic(self, deadline):
        topic = f"{self.prefix}-three"
        a = self.admin()
        futures = a.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)],
                                  request_timeout=left(deadline))
        futures[topic].result(timeout=left(deadline))
        md = a.list_topics(topic, timeout=left(deadline))
        t = md.topics.get(topic)
        if t is None or t.error is not None:
            raise Fail(f"topic not in metadata: {t.error if t else 'absent'}")
        if len(t.partitions) != 3:
            raise Fail(f"metadata shows {len(t.partitions)} partitions, expected 3")

    def produce_keyed(self, deadline):
        p = self.producer()
        recs = [(f"k{i}", f"v{i}") for i in range(300)]
        delivered = self.produce(p, f"{self.prefix}-three", recs, deadline)
        for m in delivered:
            k = m.key().decode()
            if self.part_of.setdefault(k, m.partition()) != m.partition():
                raise Fail(f"key {k} went to partitions {self.part_of[k]} and {m.partition()}")
        used = sorted(set(self.part_of.values()))
        if used != [0, 1, 2]:
            raise Fail(f"records landed only in partitions {used}")

    def group_consume(self, deadline):
        c = self.consumer(f"{self.prefix}-group")
        self.group_consumer = c
        c.subscribe([f"{self.prefix}-three"])
        msgs = self.poll_until(c, 300, deadline)
        self.check_exactly(msgs, [f"k{i}" for i in range(300)], "group consumer")
        for m in msgs:
            want = self.part_of.get(m.key().decode())
            if want is not None and want != m.partition():
                raise Fail(f"key {m.key().decode()} produced to partition {want} but fetched from {m.partition()}")

    def commit_resume(self, deadline):
        c, self.group_consumer = self.group_consumer, None
        if c is None:
            raise Fail("no consumer from group-consume")
        try:
            committed = c.commit(asynchronous=False)
            errs = [tp for tp in committed or [] if tp.error]
            if errs:
                raise Fail(f"commit errors: {errs}")
            total = sum(tp.offset for tp in committed or [])
            if total != 300:
                raise Fail(f"committed offsets sum to {total}, expected 300: {committed}")
        finally:
            c.close()
        recs = [(f"k{i}", f"v{i}") for i in range(300, 350)]
        self.produce(self.producer(), f"{self.prefix}-three", recs, deadline)
        c2 = self.consumer(f"{self.prefix}-group")
        try:
            c2.subscribe([f"{self.prefix}-three"])
            msgs = self.poll_until(c2, 50, deadline)
            self.check_exactly(msgs, [k for k, _ in recs], "resumed consumer")
        finally:
            c2.close()

    def headers(self, deadline):
        topic = f"{self.prefix}-headers"
        want = [("h1", b"v1"), ("h2", b"\x00\x01")]
        self.produce(self.producer(), topic, [("hk", "hv")], deadline, headers=want)
        msgs = self.read_topic(topic, 1, deadline)
        if len(msgs) != 1:
            raise Fail(f"consumed {len(msgs)} records, expected 1")
        got = msgs[0].headers()
        if got != want:
            raise Fail(f"headers {got!r}, expected {want!r}")

    def compression(self, codec):
        def scenario(deadline):
            topic = f"{self.prefix}-{codec}"
            recs = [(f"k{i}", f"v{i}" + "x" * 100) for i in range(50)]
            self.produce(self.producer(**{"compression.type": codec}), topic, recs, deadline)
            msgs = self.read_topic(topic, 50, deadline)
            got = [(m.key().decode(), m.value().decode()) for m in msgs]
            if got != recs:
                raise Fail(f"read back {len(got)} records, not equal to the 50 produced"
                           + (f" (first difference at {next(i for i, (a, b) in enumerate(zip(got, recs)) if a != b)})"
                              if got and len(got) == len(recs) else ""))
        return scenario

    def group_takeover(self, deadline):
        topic, group = f"{self.prefix}-four", f"{self.prefix}-takeover"
        a = self.admin()
        a.create_topics([NewTopic(topic, 4, 1)], request_timeout=left(deadline))[topic].result(timeout=left(deadline))
        ca, cb = self.consumer(group), None
        try:
            ca.subscribe([topic])
            while len(ca.assignment()) != 4:
                if time.monotonic() >= deadline:
                    raise Fail(f"consumer A alone got {len(ca.assignment())} partitions, expected 4")
                ca.poll(0.2)
            cb = self.consumer(group)
            cb.subscribe([topic])

            def parts(c):
                return {tp.partition for tp in c.assignment()}

            while True:
                pa, pb = parts(ca), parts(cb)
                if len(pa) == 2 and len(pb) == 2 and not pa & pb:
                    break
                if time.monotonic() >= deadline:
                    raise Fail(f"after B joined: A holds {sorted(pa)}, B holds {sorted(pb)}")
                ca.poll(0.1)
                cb.poll(0.1)
            log.info("takeover: A=%s B=%s", sorted(pa), sorted(pb))
            recs = [(f"k{i}", f"v{i}") for i in range(40)]
            self.produce(self.producer(), topic, recs, deadline)
            got = {"A": [], "B": []}
            settle_until = None
            while time.monotonic() < deadline and (settle_until is None or time.monotonic() < settle_until):
                for label, c in (("A", ca), ("B", cb)):
                    m = c.poll(0.1)
                    if m is None or (m.error() and m.error().code() == KafkaError._PARTITION_EOF):
                        continue
                    if m.error():
                        raise Fail(f"consumer {label} error: {m.error()}")
                    got[label].append(m)
                if len(got["A"]) + len(got["B"]) >= 40 and settle_until is None:
                    settle_until = time.monotonic() + SETTLE_SECONDS
            for label, own in (("A", pa), ("B", pb)):
                stray = [m.partition() for m in got[label] if m.partition() not in own]
                if stray:
                    raise Fail(f"consumer {label} got records from partitions {sorted(set(stray))} it does not own")
            if parts(ca) != pa or parts(cb) != pb:
                raise Fail(f"assignment changed while consuming: A {sorted(parts(ca))}, B {sorted(parts(cb))}")
            self.check_exactly(got["A"] + got["B"], [k for k, _ in recs],
                               f"A ({len(got['A'])}) + B ({len(got['B'])})")
        finally:
            ca.close()
            if cb is not None:
                cb.close()


def main():
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    bootstrap, prefix = sys.argv[1], sys.argv[2]
    version = confluent_kafka.version()  # a (str, int) tuple in older releases
    emit(f"VERSION {version[0] if isinstance(version, tuple) else version}")
    log.info("librdkafka %s", confluent_kafka.libversion()[0])
    c = Client(bootstrap, prefix)
    run_scenarios([
        ("produce-auto-topic", c.produce_auto_topic),
        ("create-topic", c.create_topic),
        ("produce-keyed", c.produce_keyed),
        ("group-consume", c.group_consume),
        ("commit-resume", c.commit_resume),
        ("headers", c.headers),
        ("compression-gzip", c.compression("gzip")),
        ("compression-snappy", c.compression("snappy")),
        ("compression-lz4", c.compression("lz4")),
        ("compression-zstd", c.compression("zstd")),
        ("group-takeover", c.group_takeover),
    ])
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter teardown: librdkafka handles left behind by a failed
    # scenario must not make exit hang.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
