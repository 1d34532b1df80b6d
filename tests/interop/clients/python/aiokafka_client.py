#!/usr/bin/env python3
"""Interop scenarios for klamm driven by aiokafka (asyncio client).

Usage: python3 aiokafka_client.py <bootstrap host:port> <prefix>

Prints `VERSION <aiokafka version>` and then one PASS/FAIL/SKIP line per
scenario on stdout; everything else goes to stderr. Producers keep aiokafka's
default enable_idempotence=False (klamm has no InitProducerId yet).
snappy/lz4/zstd need the optional `cramjam` package (see requirements.txt); a
codec whose package is missing is reported as SKIP. Every scenario runs under
asyncio.wait_for (≤ 30 s, program ≤ ~2 minutes); a watchdog thread reports a
hung scenario and exits if the event loop itself stops making progress.
"""

import asyncio
import logging
import os
import sys
import threading
import time

import aiokafka
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka import codec
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

SCENARIO_SECONDS = 30.0
PROGRAM_SECONDS = 110.0
SETTLE_SECONDS = 1.5  # extra polling after the expected count, to catch duplicates
CLOSE_SECONDS = 5.0  # bound on stopping a client

log = logging.getLogger("aiokafka_client")


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


def left_ms(deadline):
    return max(1, int(left(deadline) * 1000))


def watchdog(names):
    """Ends the program if a scenario overruns its deadline by a grace period
    (the event loop is blocked); reports what was not run."""
    while True:
        time.sleep(0.5)
        name, deadline = _current["name"], _current["deadline"]
        if name is None or deadline is None:
            continue
        if time.monotonic() > deadline + CLOSE_SECONDS + 3.0:
            with _out_lock:
                out = [f"FAIL {name}: hung past its {SCENARIO_SECONDS:.0f}s deadline (event loop blocked)"]
                out += [f"FAIL {n}: not run, an earlier scenario hung" for n in names[names.index(name) + 1:]]
                sys.stdout.write("\n".join(out) + "\n")
                sys.stdout.flush()
                _current["done"] = True
            os._exit(0)


async def run_scenarios(scenarios):
    names = [n for n, _ in scenarios]
    threading.Thread(target=watchdog, args=(names,), daemon=True).start()
    for name, fn in scenarios:
        remaining = PROGRAM_SECONDS - (time.monotonic() - _started)
        if remaining < 2.0:
            emit(f"FAIL {name}: not run, program time budget exhausted")
            continue
        budget = min(SCENARIO_SECONDS, remaining)
        deadline = time.monotonic() + budget
        _current.update(name=name, deadline=deadline)
        t0 = time.monotonic()
        try:
            # Cleanup in the scenarios' finally blocks may run a little past the deadline.
            await asyncio.wait_for(fn(deadline), timeout=budget + CLOSE_SECONDS)
            if time.monotonic() > deadline + CLOSE_SECONDS:
                raise Fail("finished after its deadline")
            emit(f"PASS {name}")
        except Skip as e:
            emit(f"SKIP {name}: {e}")
        except asyncio.TimeoutError:
            emit(f"FAIL {name}: timed out after {budget:.0f}s")
        except Exception as e:  # noqa: BLE001 - any error is a scenario failure
            log.exception("scenario %s failed", name)
            reason = str(e) if isinstance(e, Fail) else f"{type(e).__name__}: {e}"
            emit(f"FAIL {name}: {reason}")
        finally:
            _current.update(name=None, deadline=None)
            log.info("scenario %s took %.1fs", name, time.monotonic() - t0)


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


class Client:
    def __init__(self, bootstrap, prefix):
        self.bootstrap = bootstrap
        self.prefix = prefix
        self.part_of = {}  # key -> partition reported when producing to <prefix>-three
        self.group_consumer = None  # consumer of group-consume, reused by commit-resume

    async def producer(self, **extra):
        conf = dict(bootstrap_servers=self.bootstrap, enable_idempotence=False, acks="all",
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

    @staticmethod
    def check_exactly(msgs, expected_keys, what):
        keys = [m.key.decode() for m in msgs]
        dup = {k for k in keys if keys.count(k) > 1}
        if dup:
            raise Fail(f"{what}: duplicates, e.g. {sorted(dup)[:3]} ({len(keys)} records)")
        missing, extra = set(expected_keys) - set(keys), set(keys) - set(expected_keys)
        if missing or extra:
            raise Fail(f"{what}: got {len(keys)} records; missing {len(missing)} (e.g. {sorted(missing)[:3]}), "
                       f"unexpected {len(extra)} (e.g. {sorted(extra)[:3]})")
        for m in msgs:
            k, v = m.key.decode(), m.value.decode()
            if v != "v" + k[1:]:
                raise Fail(f"{what}: key {k} has value {v!r}")

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
        metas = await self.produce(f"{self.prefix}-auto", [(f"k{i}", f"v{i}") for i in range(100)], deadline)
        bad = [m for m in metas if m.offset is None or m.offset < 0]
        if bad:
            raise Fail(f"{len(bad)} acks without an offset")

    async def create_topic(self, deadline):
        n = await self.create(f"{self.prefix}-three", 3, deadline)
        if n != 3:
            raise Fail(f"describe shows {n} partitions, expected 3")

    async def produce_keyed(self, deadline):
        recs = [(f"k{i}", f"v{i}") for i in range(300)]
        metas = await self.produce(f"{self.prefix}-three", recs, deadline)
        for (k, _), m in zip(recs, metas):
            if self.part_of.setdefault(k, m.partition) != m.partition:
                raise Fail(f"key {k} went to partitions {self.part_of[k]} and {m.partition}")
        used = sorted(set(self.part_of.values()))
        if used != [0, 1, 2]:
            raise Fail(f"records landed only in partitions {used}")

    async def group_consume(self, deadline):
        c = await self.consumer(f"{self.prefix}-group")
        self.group_consumer = c
        c.subscribe([f"{self.prefix}-three"])
        msgs = await self.poll_until(c, 300, deadline)
        self.check_exactly(msgs, [f"k{i}" for i in range(300)], "group consumer")
        for m in msgs:
            want = self.part_of.get(m.key.decode())
            if want is not None and want != m.partition:
                raise Fail(f"key {m.key.decode()} produced to partition {want} but fetched from {m.partition}")

    async def commit_resume(self, deadline):
        c, self.group_consumer = self.group_consumer, None
        if c is None:
            raise Fail("no consumer from group-consume")
        try:
            await c.commit()
            committed = {tp.partition: await c.committed(tp) for tp in c.assignment()}
            if sum(o or 0 for o in committed.values()) != 300:
                raise Fail(f"committed offsets {committed} do not sum to 300")
        finally:
            await stop(c)
        recs = [(f"k{i}", f"v{i}") for i in range(300, 350)]
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
        if len(msgs) != 1:
            raise Fail(f"consumed {len(msgs)} records, expected 1")
        got = [(k, bytes(v)) for k, v in msgs[0].headers]
        if got != want:
            raise Fail(f"headers {got!r}, expected {want!r}")

    def compression(self, name):
        async def scenario(deadline):
            if not CODECS[name]():
                raise Skip(f"aiokafka needs the optional 'cramjam' package for {name}, not installed")
            topic = f"{self.prefix}-{name}"
            recs = [(f"k{i}", f"v{i}" + "x" * 100) for i in range(50)]
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
            recs = [(f"k{i}", f"v{i}") for i in range(40)]
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
            for label, own in (("A", pa), ("B", pb)):
                stray = [m.partition for m in got[label] if m.partition not in own]
                if stray:
                    raise Fail(f"consumer {label} got records from partitions {sorted(set(stray))} it does not own")
            if parts(ca) != pa or parts(cb) != pb:
                raise Fail(f"assignment changed while consuming: A {sorted(parts(ca))}, B {sorted(parts(cb))}")
            self.check_exactly(got["A"] + got["B"], [k for k, _ in recs],
                               f"A ({len(got['A'])}) + B ({len(got['B'])})")
        finally:
            await asyncio.gather(stop(ca), stop(cb))


async def amain(bootstrap, prefix):
    c = Client(bootstrap, prefix)
    await run_scenarios([
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
    await stop(c.group_consumer)  # left over only if commit-resume did not run


def main():
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    log.setLevel(logging.INFO)
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    emit(f"VERSION {aiokafka.__version__}")
    asyncio.run(amain(sys.argv[1], sys.argv[2]))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
