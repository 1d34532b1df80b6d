#!/usr/bin/env python3
"""Interop scenarios for klamm driven by confluent-kafka (librdkafka).

Usage: python3 confluent.py <bootstrap host:port> <prefix>

Prints `VERSION <confluent-kafka version>` and then one PASS/FAIL/SKIP line per
scenario on stdout; everything else goes to stderr. Producers run with
enable.idempotence=true (librdkafka's default is off), so every scenario that
produces goes through InitProducerId and sequence-numbered batches. Every wait is bounded: a
scenario gets at most 30 s and the program at most ~2 minutes; a watchdog
reports a hung scenario and exits if a library call never returns.
"""

import sys
import time

import confluent_kafka
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import (AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource,
                                  ConfigSource, NewPartitions, NewTopic, OffsetSpec, ResourceType)

import harness
from harness import SETTLE_SECONDS, Fail, emit, keyed, left, log


class Client(harness.Client):
    key = staticmethod(lambda m: m.key().decode())
    value = staticmethod(lambda m: m.value().decode())
    partition = staticmethod(lambda m: m.partition())
    header_pairs = staticmethod(lambda m: m.headers())

    def producer(self, **extra):
        conf = {
            "bootstrap.servers": self.bootstrap,
            "enable.idempotence": True,
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

    # -- scenarios

    def produce_auto_topic(self, deadline):
        delivered = self.produce(self.producer(), f"{self.prefix}-auto", keyed(100), deadline)
        bad = [m for m in delivered if m.offset() is None or m.offset() < 0]
        if bad:
            raise Fail(f"{len(bad)} acks without an offset")

    def create_topic(self, deadline):
        topic = f"{self.prefix}-three"
        a = self.admin()
        futures = a.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)],
                                  request_timeout=left(deadline))
        futures[topic].result(timeout=left(deadline))
        # CreateTopics answers once the controller has the topic; a broker
        # learns it a moment later (on Kafka; klamm's brokers share one
        # state), so the metadata is asked until it shows the topic.
        while True:
            t = a.list_topics(topic, timeout=left(deadline)).topics.get(topic)
            if t is not None and t.error is None and t.partitions:
                break
            if time.monotonic() >= deadline:
                raise Fail(f"topic not in metadata: {t.error if t else 'absent'}")
            time.sleep(0.1)
        if len(t.partitions) != 3:
            raise Fail(f"metadata shows {len(t.partitions)} partitions, expected 3")

    def produce_keyed(self, deadline):
        delivered = self.produce(self.producer(), f"{self.prefix}-three", keyed(300), deadline)
        self.note_partitions((self.key(m), self.partition(m)) for m in delivered)

    def group_consume(self, deadline):
        c = self.consumer(f"{self.prefix}-group")
        self.group_consumer = c
        c.subscribe([f"{self.prefix}-three"])
        self.check_group_consumed(self.poll_until(c, 300, deadline))

    def commit_resume(self, deadline):
        c = self.take_group_consumer()
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
        recs = keyed(300, 350)
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
        self.check_headers(msgs, want)

    def compression(self, codec):
        def scenario(deadline):
            topic = f"{self.prefix}-{codec}"
            recs = keyed(50, pad="x" * 100)
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
            recs = keyed(40)
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
            self.check_takeover(got, {"A": pa, "B": pb}, {"A": parts(ca), "B": parts(cb)}, recs)
        finally:
            ca.close()
            if cb is not None:
                cb.close()

    # -- admin: what tools and frameworks call at start-up

    def list_topics(self, deadline):
        # Without a topic: librdkafka >= 2.1 asks for every topic in
        # Metadata v12, which is what a user's first `list_topics()` sends.
        c = self.consumer(f"{self.prefix}-lister")
        try:
            self.check_listed(c.list_topics(timeout=left(deadline)).topics, "Consumer.list_topics()")
        finally:
            c.close()
        self.check_listed(self.admin().list_topics(timeout=left(deadline)).topics, "AdminClient.list_topics()")

    def scenarios(self):
        return super().scenarios() + [("admin-configs", self.admin_configs),
                                      ("admin-partitions-records", self.admin_partitions_records)]

    def admin_configs(self, deadline):
        topic = f"{self.prefix}-configured"
        a = self.admin()
        a.create_topics([NewTopic(topic, 1, 1)])[topic].result(timeout=left(deadline))
        changes = [ConfigEntry("retention.ms", "3600000", incremental_operation=AlterConfigOpType.SET),
                   ConfigEntry("cleanup.policy", "compact", incremental_operation=AlterConfigOpType.APPEND)]
        resource = ConfigResource(ResourceType.TOPIC, topic, incremental_configs=changes)
        for future in a.incremental_alter_configs([resource]).values():
            future.result(timeout=left(deadline))
        described = a.describe_configs([ConfigResource(ResourceType.TOPIC, topic)])
        configs = next(iter(described.values())).result(timeout=left(deadline))
        expected = {"retention.ms": ("3600000", ConfigSource.DYNAMIC_TOPIC_CONFIG),
                    "cleanup.policy": ("delete,compact", ConfigSource.DYNAMIC_TOPIC_CONFIG),
                    "segment.bytes": ("1073741824", ConfigSource.DEFAULT_CONFIG)}
        for name, (value, source) in expected.items():
            entry = configs.get(name)
            if entry is None or entry.value != value or entry.source != source.value:
                raise Fail(f"{name}: {entry.value if entry else None} from "
                           f"{entry.source if entry else None}, expected {value} from {source}")
        typo = ConfigResource(ResourceType.TOPIC, topic, incremental_configs=[
            ConfigEntry("retention.msec", "1", incremental_operation=AlterConfigOpType.SET)])
        try:
            next(iter(a.incremental_alter_configs([typo]).values())).result(timeout=left(deadline))
        except confluent_kafka.KafkaException as e:
            if e.args[0].code() != KafkaError.INVALID_CONFIG:
                raise Fail(f"unknown config name: {e}, expected INVALID_CONFIG") from e
        else:
            raise Fail("an unknown config name was accepted")

    def admin_partitions_records(self, deadline):
        topic = f"{self.prefix}-grown"
        a = self.admin()
        a.create_topics([NewTopic(topic, 1, 1)])[topic].result(timeout=left(deadline))
        a.create_partitions([NewPartitions(topic, 2)])[topic].result(timeout=left(deadline))
        producer = self.producer()
        for p in (0, 1):
            for i in range(5):
                producer.produce(topic, key=f"k{i}", value=f"v{i}", partition=p)
        if producer.flush(left(deadline)):
            raise Fail("records to the new partition were not acknowledged")
        deleted = a.delete_records([TopicPartition(topic, 0, 3)])
        low = next(iter(deleted.values())).result(timeout=left(deadline)).low_watermark
        if low != 3:
            raise Fail(f"delete_records left the low watermark at {low}, expected 3")
        listed = a.list_offsets({TopicPartition(topic, 0): OffsetSpec.earliest()})
        earliest = next(iter(listed.values())).result(timeout=left(deadline)).offset
        if earliest != 3:
            raise Fail(f"earliest offset {earliest} after delete_records, expected 3")


def main():
    args = harness.start(__doc__)
    if args is None:
        return 2
    version = confluent_kafka.version()  # a (str, int) tuple in older releases
    emit(f"VERSION {version[0] if isinstance(version, tuple) else version}")
    log.info("librdkafka %s", confluent_kafka.libversion()[0])
    harness.run_scenarios(Client(*args).scenarios())
    harness.exit_now()


if __name__ == "__main__":
    sys.exit(main())
