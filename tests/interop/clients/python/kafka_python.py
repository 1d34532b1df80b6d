#!/usr/bin/env python3
"""Interop scenarios for klamm driven by kafka-python (pure-Python client).

Usage: python3 kafka_python.py <bootstrap host:port> <prefix>

Prints `VERSION <kafka-python version>` and then one PASS/FAIL/SKIP line per
scenario on stdout; everything else goes to stderr. Producers keep
kafka-python 3.x's default enable_idempotence=True, so every scenario that
produces goes through InitProducerId and sequence-numbered batches. snappy/lz4/zstd need the optional python-snappy, lz4 and
zstandard packages (see requirements.txt); a codec whose package is missing is
reported as SKIP. Every wait is bounded: a scenario gets at most 30 s and the
program at most ~2 minutes; a watchdog reports a hung scenario and exits.
"""

import logging
import sys
import time

import kafka
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka import codec

import harness
from harness import SETTLE_SECONDS, Fail, Skip, emit, keyed, left, left_ms, log

CODEC_PACKAGE = {"gzip": (codec.has_gzip, "stdlib"),
                 "snappy": (codec.has_snappy, "python-snappy"),
                 "lz4": (codec.has_lz4, "lz4"),
                 "zstd": (codec.has_zstd, "zstandard")}


class Client(harness.Client):
    key = staticmethod(lambda m: m.key.decode())
    value = staticmethod(lambda m: m.value.decode())
    partition = staticmethod(lambda m: m.partition)
    header_pairs = staticmethod(lambda m: [(k, bytes(v)) for k, v in m.headers])

    # Constructors bootstrap synchronously, so each gets the scenario's deadline.

    def producer(self, deadline, **extra):
        conf = dict(bootstrap_servers=self.bootstrap, acks="all",
                    linger_ms=5, max_block_ms=20000, request_timeout_ms=15000,
                    bootstrap_timeout_ms=left_ms(deadline))
        conf.update(extra)
        return KafkaProducer(**conf)

    def consumer(self, group, deadline, **extra):
        conf = dict(bootstrap_servers=self.bootstrap, group_id=group, auto_offset_reset="earliest",
                    enable_auto_commit=False, heartbeat_interval_ms=1000, session_timeout_ms=10000,
                    request_timeout_ms=15000, bootstrap_timeout_ms=left_ms(deadline))
        conf.update(extra)
        return KafkaConsumer(**conf)

    def admin(self, deadline):
        return KafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=15000,
                                bootstrap_timeout_ms=left_ms(deadline))

    # -- produce / consume primitives

    def produce(self, topic, records, deadline, producer=None, headers=None):
        """Produces (key, value) str pairs; returns RecordMetadata per record, in order."""
        p = producer or self.producer(deadline)
        try:
            futures = [p.send(topic, key=k.encode(), value=v.encode(), headers=headers) for k, v in records]
            p.flush(timeout=left(deadline))
            unacked = [f for f in futures if not f.is_done]
            failed = [f for f in futures if f.failed()]
            if failed:
                raise Fail(f"{len(failed)} of {len(records)} records failed, first: {failed[0].exception!r}")
            if unacked:
                raise Fail(f"{len(unacked)} of {len(records)} records not acknowledged before the deadline")
            return [f.value for f in futures]
        finally:
            if producer is None:
                p.close(timeout=max(1.0, left(deadline)))

    @staticmethod
    def poll_until(consumer, expected, deadline, settle=SETTLE_SECONDS):
        """Polls until `expected` records arrived, then `settle` seconds more."""
        got, settle_until = [], None
        while time.monotonic() < deadline and (settle_until is None or time.monotonic() < settle_until):
            batches = consumer.poll(timeout_ms=min(500, left_ms(deadline)))
            for recs in batches.values():
                got.extend(recs)
            if len(got) >= expected and settle_until is None:
                settle_until = min(deadline, time.monotonic() + settle)
        return got

    def read_topic(self, topic, expected, deadline):
        """Reads a topic from the beginning by manual assignment (no group)."""
        c = self.consumer(None, deadline)
        try:
            parts = None
            while not parts and time.monotonic() < deadline:
                parts = c.partitions_for_topic(topic)
            if not parts:
                raise Fail(f"no partitions in metadata for {topic}")
            tps = [TopicPartition(topic, p) for p in sorted(parts)]
            c.assign(tps)
            c.seek_to_beginning(*tps)
            return self.poll_until(c, expected, deadline)
        finally:
            c.close(timeout_ms=1000)

    def topic_partitions(self, admin, topic):
        (t,) = admin.describe_topics([topic])
        if t.get("error_code"):
            raise Fail(f"describe {topic}: error code {t['error_code']}")
        return len(t["partitions"])

    # -- scenarios

    def produce_auto_topic(self, deadline):
        metas = self.produce(f"{self.prefix}-auto", keyed(100), deadline)
        bad = [m for m in metas if m.offset is None or m.offset < 0]
        if bad:
            raise Fail(f"{len(bad)} acks without an offset")

    def create_topic(self, deadline):
        topic = f"{self.prefix}-three"
        a = self.admin(deadline)
        try:
            a.create_topics({topic: {"num_partitions": 3, "replication_factor": 1}},
                            timeout_ms=left_ms(deadline), wait_for_metadata=True)
            n = self.topic_partitions(a, topic)
            if n != 3:
                raise Fail(f"describe shows {n} partitions, expected 3")
        finally:
            a.close()

    def produce_keyed(self, deadline):
        recs = keyed(300)
        metas = self.produce(f"{self.prefix}-three", recs, deadline)
        self.note_partitions((k, m.partition) for (k, _), m in zip(recs, metas))

    def group_consume(self, deadline):
        c = self.consumer(f"{self.prefix}-group", deadline)
        self.group_consumer = c
        c.subscribe([f"{self.prefix}-three"])
        self.check_group_consumed(self.poll_until(c, 300, deadline))

    def commit_resume(self, deadline):
        c = self.take_group_consumer()
        try:
            c.commit(timeout_ms=left_ms(deadline))
            committed = {tp.partition: c.committed(tp, timeout_ms=left_ms(deadline)) for tp in c.assignment()}
            if sum(o or 0 for o in committed.values()) != 300:
                raise Fail(f"committed offsets {committed} do not sum to 300")
        finally:
            c.close(timeout_ms=min(5000, left_ms(deadline)))
        recs = keyed(300, 350)
        self.produce(f"{self.prefix}-three", recs, deadline)
        c2 = self.consumer(f"{self.prefix}-group", deadline)
        try:
            c2.subscribe([f"{self.prefix}-three"])
            msgs = self.poll_until(c2, 50, deadline)
            self.check_exactly(msgs, [k for k, _ in recs], "resumed consumer")
        finally:
            c2.close(timeout_ms=min(5000, left_ms(deadline)))

    def headers(self, deadline):
        topic = f"{self.prefix}-headers"
        want = [("h1", b"v1"), ("h2", b"\x00\x01")]
        self.produce(topic, [("hk", "hv")], deadline, headers=want)
        msgs = self.read_topic(topic, 1, deadline)
        self.check_headers(msgs, want)

    def compression(self, name):
        def scenario(deadline):
            available, package = CODEC_PACKAGE[name]
            if not available():
                raise Skip(f"kafka-python needs the optional '{package}' package for {name}, not installed")
            topic = f"{self.prefix}-{name}"
            recs = keyed(50, pad="x" * 100)
            p = self.producer(deadline, compression_type=name)
            try:
                self.produce(topic, recs, deadline, producer=p)
            finally:
                p.close(timeout=max(1.0, left(deadline)))
            msgs = self.read_topic(topic, 50, deadline)
            got = [(m.key.decode(), m.value.decode()) for m in msgs]
            if got != recs:
                raise Fail(f"read back {len(got)} records, not equal to the 50 produced")
        return scenario

    def group_takeover(self, deadline):
        topic, group = f"{self.prefix}-four", f"{self.prefix}-takeover"
        a = self.admin(deadline)
        try:
            a.create_topics({topic: {"num_partitions": 4, "replication_factor": 1}},
                            timeout_ms=left_ms(deadline), wait_for_metadata=True)
        finally:
            a.close()

        def parts(c):
            return {tp.partition for tp in c.assignment()}

        ca, cb = self.consumer(group, deadline), None
        try:
            ca.subscribe([topic])
            while len(parts(ca)) != 4:
                if time.monotonic() >= deadline:
                    raise Fail(f"consumer A alone got {sorted(parts(ca))}, expected 4 partitions")
                ca.poll(timeout_ms=200)
            cb = self.consumer(group, deadline)
            cb.subscribe([topic])
            while True:
                pa, pb = parts(ca), parts(cb)
                if len(pa) == 2 and len(pb) == 2 and not pa & pb:
                    break
                if time.monotonic() >= deadline:
                    raise Fail(f"after B joined: A holds {sorted(pa)}, B holds {sorted(pb)}")
                ca.poll(timeout_ms=100)
                cb.poll(timeout_ms=100)
            log.info("takeover: A=%s B=%s", sorted(pa), sorted(pb))
            recs = keyed(40)
            self.produce(topic, recs, deadline)
            got = {"A": [], "B": []}
            settle_until = None
            while time.monotonic() < deadline and (settle_until is None or time.monotonic() < settle_until):
                for label, c in (("A", ca), ("B", cb)):
                    for batch in c.poll(timeout_ms=100).values():
                        got[label].extend(batch)
                if len(got["A"]) + len(got["B"]) >= 40 and settle_until is None:
                    settle_until = time.monotonic() + SETTLE_SECONDS
            self.check_takeover(got, {"A": pa, "B": pb}, {"A": parts(ca), "B": parts(cb)}, recs)
        finally:
            ca.close(timeout_ms=3000)
            if cb is not None:
                cb.close(timeout_ms=3000)


    def list_topics(self, deadline):
        c = self.consumer(None, deadline)
        try:
            self.check_listed(c.topics(), "KafkaConsumer.topics()")
        finally:
            c.close()
        a = self.admin(deadline)
        try:
            self.check_listed(a.list_topics(), "KafkaAdminClient.list_topics()")
        finally:
            a.close()


def main():
    args = harness.start(__doc__, level=logging.WARNING)
    if args is None:
        return 2
    emit(f"VERSION {kafka.__version__}")
    harness.run_scenarios(Client(*args).scenarios())
    harness.exit_now()


if __name__ == "__main__":
    sys.exit(main())
