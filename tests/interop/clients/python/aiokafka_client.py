#!/usr/bin/env python3
"""Interop scenarios for klamm driven by aiokafka (asyncio client).

Usage: python3 aiokafka_client.py <bootstrap host:port> <prefix>

Prints `VERSION <aiokafka version>` and then one PASS/FAIL/SKIP line per
scenario on stdout; everything else goes to stderr. Producers turn on
enable_idempotence (aiokafka's default is off), so every scenario that
produces goes through InitProducerId and sequence-numbered batches.
snappy/lz4/zstd need the optional `cramjam` package (see requirements.txt); a
codec whose package is missing is reported as SKIP. Every scenario runs under
asyncio.wait_for (≤ 30 s, program ≤ ~2 minutes); a watchdog thread reports a
hung scenario and exits if the event loop itself stops making progress.
"""

import asyncio
import logging
import sys
import time

import aiokafka
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka import codec
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

import harness
from harness import SETTLE_SECONDS, Fail, Skip, emit, keyed, left, left_ms, log

CLOSE_SECONDS = 5.0  # bound on stopping a client


async def run_scenarios(scenarios):
    harness.start_watchdog(scenarios, grace=CLOSE_SECONDS + 3.0, why="event loop blocked")
    for name, fn, seconds in harness.budgets(scenarios, program_seconds=110.0):
        # Cleanup in the scenarios' finally blocks may run a little past the deadline.
        with harness.reported(name, seconds, late=CLOSE_SECONDS) as deadline:
            try:
                await asyncio.wait_for(fn(deadline), timeout=seconds + CLOSE_SECONDS)
            except asyncio.TimeoutError:
                raise harness.TimedOut(f"timed out after {seconds:.0f}s") from None


async def stop(client):
    """Stops a producer/consumer/admin client without letting it hang the run."""
    if client is None:
        return
    try:
        await asyncio.wait_for(client.close() if isinstance(client, AIOKafkaAdminClient) else client.stop(),
                               CLOSE_SECONDS)
    except Exception as e:  # noqa: BLE001
        log.warning("stopping %s: %r", type(client).__name__, e)


# --------------------------------------------------------------------------- scenarios

CODECS = {"gzip": codec.has_gzip, "snappy": codec.has_snappy, "lz4": codec.has_lz4, "zstd": codec.has_zstd}


class Client(harness.Client):
    key = staticmethod(lambda m: m.key.decode())
    value = staticmethod(lambda m: m.value.decode())
    partition = staticmethod(lambda m: m.partition)
    header_pairs = staticmethod(lambda m: [(k, bytes(v)) for k, v in m.headers])

    async def producer(self, **extra):
        conf = dict(bootstrap_servers=self.bootstrap, enable_idempotence=True, acks="all",
                    linger_ms=5, request_timeout_ms=15000)
        conf.update(extra)
        p = AIOKafkaProducer(**conf)
        await p.start()
        return p

    async def consumer(self, group, *topics, **extra):
        conf = dict(bootstrap_servers=self.bootstrap, group_id=group, auto_offset_reset="earliest",
                    enable_auto_commit=False, heartbeat_interval_ms=1000, session_timeout_ms=10000,
                    request_timeout_ms=15000)
        conf.update(extra)
        c = AIOKafkaConsumer(*topics, **conf)
        await c.start()
        return c

    async def admin(self):
        a = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=15000)
        await a.start()
        return a

    # -- produce / consume primitives

    async def produce(self, topic, records, deadline, headers=None, **producer_conf):
        """Produces (key, value) str pairs; returns RecordMetadata per record, in order."""
        p = await self.producer(**producer_conf)
        try:
            futures = [await p.send(topic, key=k.encode(), value=v.encode(), headers=headers)
                       for k, v in records]
            done, pending = await asyncio.wait(futures, timeout=left(deadline))
            if pending:
                raise Fail(f"{len(pending)} of {len(records)} records not acknowledged before the deadline")
            failed = [f.exception() for f in futures if f.exception() is not None]
            if failed:
                raise Fail(f"{len(failed)} of {len(records)} records failed, first: {failed[0]!r}")
            return [f.result() for f in futures]
        finally:
            await stop(p)

    @staticmethod
    async def poll_until(consumer, expected, deadline, settle=SETTLE_SECONDS):
        """Fetches until `expected` records arrived, then `settle` seconds more."""
        got, settle_until = [], None
        while time.monotonic() < deadline and (settle_until is None or time.monotonic() < settle_until):
            batches = await consumer.getmany(timeout_ms=min(500, left_ms(deadline)))
            for recs in batches.values():
                got.extend(recs)
            if len(got) >= expected and settle_until is None:
                settle_until = min(deadline, time.monotonic() + settle)
        return got

    async def read_topic(self, topic, expected, deadline):
        """Reads a whole topic from the beginning: without a group_id, aiokafka
        assigns itself every partition of the topics it is given."""
        c = await self.consumer(None, topic)
        try:
            return await self.poll_until(c, expected, deadline)
        finally:
            await stop(c)

    async def create(self, topic, partitions, deadline):
        """Creates a topic through the admin API; returns its partition count from describe."""
        a = await self.admin()
        try:
            resp = await a.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)],
                                         timeout_ms=left_ms(deadline))
            errors = [e for e in resp.topic_errors if e[1] != 0]
            if errors:
                raise Fail(f"CreateTopics error: {errors}")
            while True:
                (t,) = await a.describe_topics([topic])
                if t["error_code"] == 0 and t["partitions"]:
                    return len(t["partitions"])
                if time.monotonic() >= deadline:
                    raise Fail(f"describe {topic}: error code {t['error_code']}, {len(t['partitions'])} partitions")
                await asyncio.sleep(0.1)
        finally:
            await stop(a)

    # -- scenarios

    async def produce_auto_topic(self, deadline):
        metas = await self.produce(f"{self.prefix}-auto", keyed(100), deadline)
        bad = [m for m in metas if m.offset is None or m.offset < 0]
        if bad:
            raise Fail(f"{len(bad)} acks without an offset")

    async def create_topic(self, deadline):
        n = await self.create(f"{self.prefix}-three", 3, deadline)
        if n != 3:
            raise Fail(f"describe shows {n} partitions, expected 3")

    async def produce_keyed(self, deadline):
        recs = keyed(300)
        metas = await self.produce(f"{self.prefix}-three", recs, deadline)
        self.note_partitions((k, m.partition) for (k, _), m in zip(recs, metas))

    async def group_consume(self, deadline):
        c = await self.consumer(f"{self.prefix}-group")
        self.group_consumer = c
        c.subscribe([f"{self.prefix}-three"])
        self.check_group_consumed(await self.poll_until(c, 300, deadline))

    async def commit_resume(self, deadline):
        c = self.take_group_consumer()
        try:
            await c.commit()
            committed = {tp.partition: await c.committed(tp) for tp in c.assignment()}
            if sum(o or 0 for o in committed.values()) != 300:
                raise Fail(f"committed offsets {committed} do not sum to 300")
        finally:
            await stop(c)
        recs = keyed(300, 350)
        await self.produce(f"{self.prefix}-three", recs, deadline)
        c2 = await self.consumer(f"{self.prefix}-group")
        try:
            c2.subscribe([f"{self.prefix}-three"])
            msgs = await self.poll_until(c2, 50, deadline)
            self.check_exactly(msgs, [k for k, _ in recs], "resumed consumer")
        finally:
            await stop(c2)

    async def headers(self, deadline):
        topic = f"{self.prefix}-headers"
        want = [("h1", b"v1"), ("h2", b"\x00\x01")]
        await self.produce(topic, [("hk", "hv")], deadline, headers=want)
        msgs = await self.read_topic(topic, 1, deadline)
        self.check_headers(msgs, want)

    def compression(self, name):
        async def scenario(deadline):
            if not CODECS[name]():
                raise Skip(f"aiokafka needs the optional 'cramjam' package for {name}, not installed")
            topic = f"{self.prefix}-{name}"
            recs = keyed(50, pad="x" * 100)
            await self.produce(topic, recs, deadline, compression_type=name)
            msgs = await self.read_topic(topic, 50, deadline)
            got = [(m.key.decode(), m.value.decode()) for m in msgs]
            if got != recs:
                raise Fail(f"read back {len(got)} records, not equal to the 50 produced")
        return scenario

    async def group_takeover(self, deadline):
        topic, group = f"{self.prefix}-four", f"{self.prefix}-takeover"
        n = await self.create(topic, 4, deadline)
        if n != 4:
            raise Fail(f"describe shows {n} partitions, expected 4")

        def parts(c):
            return {tp.partition for tp in c.assignment()}

        ca = cb = None
        try:
            ca = await self.consumer(group)
            ca.subscribe([topic])
            while len(parts(ca)) != 4:
                if time.monotonic() >= deadline:
                    raise Fail(f"consumer A alone got {sorted(parts(ca))}, expected 4 partitions")
                await ca.getmany(timeout_ms=200)
            cb = await self.consumer(group)
            cb.subscribe([topic])
            while True:
                pa, pb = parts(ca), parts(cb)
                if len(pa) == 2 and len(pb) == 2 and not pa & pb:
                    break
                if time.monotonic() >= deadline:
                    raise Fail(f"after B joined: A holds {sorted(pa)}, B holds {sorted(pb)}")
                await asyncio.gather(ca.getmany(timeout_ms=100), cb.getmany(timeout_ms=100))
            log.info("takeover: A=%s B=%s", sorted(pa), sorted(pb))
            recs = keyed(40)
            await self.produce(topic, recs, deadline)
            got = {"A": [], "B": []}
            settle_until = None
            while time.monotonic() < deadline and (settle_until is None or time.monotonic() < settle_until):
                ra, rb = await asyncio.gather(ca.getmany(timeout_ms=100), cb.getmany(timeout_ms=100))
                for label, batches in (("A", ra), ("B", rb)):
                    for batch in batches.values():
                        got[label].extend(batch)
                if len(got["A"]) + len(got["B"]) >= 40 and settle_until is None:
                    settle_until = time.monotonic() + SETTLE_SECONDS
            self.check_takeover(got, {"A": pa, "B": pb}, {"A": parts(ca), "B": parts(cb)}, recs)
        finally:
            await asyncio.gather(stop(ca), stop(cb))

    async def list_topics(self, deadline):
        c = await self.consumer(None)
        try:
            self.check_listed(await c.topics(), "AIOKafkaConsumer.topics()")
        finally:
            await stop(c)
        a = await self.admin()
        try:
            self.check_listed(await a.list_topics(), "AIOKafkaAdminClient.list_topics()")
        finally:
            await stop(a)


async def amain(bootstrap, prefix):
    c = Client(bootstrap, prefix)
    await run_scenarios(c.scenarios())
    await stop(c.group_consumer)  # left over only if commit-resume did not run


def main():
    args = harness.start(__doc__, level=logging.WARNING)
    if args is None:
        return 2
    emit(f"VERSION {aiokafka.__version__}")
    asyncio.run(amain(*args))
    harness.exit_now()


if __name__ == "__main__":
    sys.exit(main())
