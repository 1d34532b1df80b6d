#!/usr/bin/env python3
"""Interop scenarios for klamm driven by the kcat command-line tool (librdkafka).

Usage: python3 kcat.py <bootstrap host:port> <prefix>     (KCAT=/path/to/kcat overrides)

Prints `VERSION <librdkafka version kcat is built with>` and then one
PASS/FAIL/SKIP line per scenario on stdout; kcat's own diagnostics and our logs
go to stderr. Producers run `kcat -P -K:` with idempotence off and count the
per-message delivery reports (-vv); readers run `kcat -C -e -J`; group
consumers run `kcat -G <group> <topic>` (auto-commit, committed on close) and are
stopped with SIGTERM. kcat has no admin API, so create-topic and group-takeover
are skipped and produce-keyed uses the auto-created (1-partition) topic. kcat's
-H takes the header from a NUL-terminated argv string, so the NUL byte of
h2=\\x00\\x01 cannot be sent. Every subprocess wait is bounded (≤ 30 s per
scenario, ≤ ~2 minutes overall).
"""

import json
import logging
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

KCAT = os.environ.get("KCAT") or shutil.which("kcat") or "/usr/bin/kcat"
SCENARIO_SECONDS = 30.0
PROGRAM_SECONDS = 105.0
SETTLE_SECONDS = 1.5  # extra reading after the expected count, to catch duplicates

log = logging.getLogger("kcat")


class Fail(Exception):
    pass


class Skip(Exception):
    pass


# --------------------------------------------------------------------------- harness

_started = time.monotonic()


def emit(line):
    sys.stdout.write(line.replace("\n", " ") + "\n")
    sys.stdout.flush()


def left(deadline):
    return max(0.0, deadline - time.monotonic())


def run_scenarios(scenarios):
    for name, fn in scenarios:
        remaining = PROGRAM_SECONDS - (time.monotonic() - _started)
        if remaining < 2.0:
            emit(f"FAIL {name}: not run, program time budget exhausted")
            continue
        deadline = time.monotonic() + min(SCENARIO_SECONDS, remaining)
        t0 = time.monotonic()
        try:
            fn(deadline)
            if time.monotonic() > deadline + 1.0:
                raise Fail("finished after its deadline")
            emit(f"PASS {name}")
        except Skip as e:
            emit(f"SKIP {name}: {e}")
        except Exception as e:  # noqa: BLE001 - any error is a scenario failure
            log.exception("scenario %s failed", name)
            reason = str(e) if isinstance(e, Fail) else f"{type(e).__name__}: {e}"
            emit(f"FAIL {name}: {reason}")
        finally:
            log.info("scenario %s took %.1fs", name, time.monotonic() - t0)


# --------------------------------------------------------------------------- kcat plumbing


def decode_json_line(raw):
    """kcat -J writes key/payload/header strings with raw non-UTF-8 bytes;
    surrogateescape keeps them so they can be turned back into bytes."""
    return json.loads(raw.decode("utf-8", "surrogateescape"))


def to_bytes(s):
    return None if s is None else s.encode("utf-8", "surrogateescape")


class GroupConsumer:
    """A `kcat -G` balanced consumer running in the background."""

    def __init__(self, bootstrap, group, topic):
        self.lines = queue.Queue()
        cmd = [KCAT, "-b", bootstrap, "-G", group, "-J", "-u",
               "-X", "auto.offset.reset=earliest", topic]
        log.info("start: %s", " ".join(cmd))
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=sys.stderr)
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for raw in self.proc.stdout:
            self.lines.put(raw)
        self.lines.put(None)

    def read(self, expected, deadline):
        """Messages read until `expected` arrived (plus a settle period) or the deadline."""
        got, settle_until = [], None
        while True:
            now = time.monotonic()
            until = deadline if settle_until is None else min(deadline, settle_until)
            if now >= until:
                return got
            try:
                raw = self.lines.get(timeout=until - now)
            except queue.Empty:
                continue
            if raw is None:
                raise Fail(f"kcat -G exited early with status {self.proc.wait()}")
            got.append(decode_json_line(raw))
            if len(got) >= expected and settle_until is None:
                settle_until = time.monotonic() + SETTLE_SECONDS

    def stop(self, timeout=10.0):
        """SIGTERM makes kcat close the consumer, which commits its offsets."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise Fail(f"kcat -G did not exit within {timeout:.0f}s of SIGTERM")


class Client:
    def __init__(self, bootstrap, prefix):
        self.bootstrap = bootstrap
        self.prefix = prefix
        self.part_of = {}  # key -> partition of <prefix>-three
        self.group_consumer = None  # from group-consume, stopped by commit-resume

    def produce(self, topic, records, deadline, extra=()):
        """Pipes `key:value` lines into `kcat -P -K:`; checks every record was acked."""
        cmd = [KCAT, "-b", self.bootstrap, "-P", "-t", topic, "-K:", "-vv",
               "-X", "enable.idempotence=false", "-X", "acks=all", *extra]
        data = "".join(f"{k}:{v}\n" for k, v in records).encode()
        try:
            res = subprocess.run(cmd, input=data, capture_output=True, timeout=left(deadline))
        except subprocess.TimeoutExpired:
            raise Fail(f"kcat -P did not finish before the deadline ({topic})") from None
        err = res.stderr.decode(errors="replace")
        sys.stderr.write(err)
        failed = err.count("Delivery failed")
        acked = len(re.findall(r"Message delivered to partition", err))
        if res.returncode != 0 or failed or acked != len(records):
            raise Fail(f"kcat -P exit {res.returncode}: {acked} of {len(records)} acked, {failed} failed "
                       f"({(err.strip().splitlines() or [''])[-1][:200]})")

    def read_topic(self, topic, deadline):
        """`kcat -C -o beginning -e`: the whole topic, every partition, then exit."""
        cmd = [KCAT, "-b", self.bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-J", "-q"]
        try:
            res = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=left(deadline))
        except subprocess.TimeoutExpired:
            raise Fail(f"kcat -C -e did not reach the end of {topic} before the deadline") from None
        sys.stderr.write(res.stderr.decode(errors="replace"))
        if res.returncode != 0:
            raise Fail(f"kcat -C exit {res.returncode}: {res.stderr.decode(errors='replace').strip()[-200:]}")
        return [decode_json_line(line) for line in res.stdout.splitlines() if line.strip()]

    @staticmethod
    def check_exactly(msgs, expected_keys, what):
        keys = [m["key"] for m in msgs]
        dup = {k for k in keys if keys.count(k) > 1}
        if dup:
            raise Fail(f"{what}: duplicates, e.g. {sorted(dup)[:3]} ({len(keys)} records)")
        missing, extra = set(expected_keys) - set(keys), set(keys) - set(expected_keys)
        if missing or extra:
            raise Fail(f"{what}: got {len(keys)} records; missing {len(missing)} (e.g. {sorted(missing)[:3]}), "
                       f"unexpected {len(extra)} (e.g. {sorted(extra)[:3]})")
        for m in msgs:
            if m["payload"] != "v" + m["key"][1:]:
                raise Fail(f"{what}: key {m['key']} has value {m['payload']!r}")

    # -- scenarios

    def produce_auto_topic(self, deadline):
        self.produce(f"{self.prefix}-auto", [(f"k{i}", f"v{i}") for i in range(100)], deadline)

    def create_topic(self, deadline):
        raise Skip("kcat has no admin API to create a topic with a partition count")

    def produce_keyed(self, deadline):
        topic = f"{self.prefix}-three"
        recs = [(f"k{i}", f"v{i}") for i in range(300)]
        self.produce(topic, recs, deadline)  # auto-created: kcat cannot create it with 3 partitions
        msgs = self.read_topic(topic, deadline)
        self.check_exactly(msgs, [k for k, _ in recs], "read back")
        for m in msgs:
            self.part_of[m["key"]] = m["partition"]
        used = sorted(set(self.part_of.values()))
        if len(used) < 3:
            log.info("produce-keyed: %s was auto-created with %d partition(s); partition spread not checked",
                     topic, len(used))

    def group_consume(self, deadline):
        c = GroupConsumer(self.bootstrap, f"{self.prefix}-group", f"{self.prefix}-three")
        self.group_consumer = c
        msgs = c.read(300, deadline)
        self.check_exactly(msgs, [f"k{i}" for i in range(300)], "group consumer")
        for m in msgs:
            want = self.part_of.get(m["key"])
            if want is not None and want != m["partition"]:
                raise Fail(f"key {m['key']} was in partition {want} but the group read it from {m['partition']}")

    def commit_resume(self, deadline):
        c, self.group_consumer = self.group_consumer, None
        if c is None:
            raise Fail("no consumer from group-consume")
        status = c.stop(timeout=min(10.0, left(deadline)))
        if status != 0:
            raise Fail(f"kcat -G exited with status {status} on SIGTERM")
        recs = [(f"k{i}", f"v{i}") for i in range(300, 350)]
        self.produce(f"{self.prefix}-three", recs, deadline)
        c2 = GroupConsumer(self.bootstrap, f"{self.prefix}-group", f"{self.prefix}-three")
        try:
            msgs = c2.read(50, deadline)
            self.check_exactly(msgs, [k for k, _ in recs], "resumed consumer")
        finally:
            c2.stop(timeout=5.0)

    def headers(self, deadline):
        topic = f"{self.prefix}-headers"
        # The spec's h2 is b"\x00\x01"; argv cannot carry a NUL, so send b"\x01\xff" instead.
        sent = [("h1", b"v1"), ("h2", b"\x01\xff")]
        args = [a for k, v in sent for a in ("-H", k.encode() + b"=" + v)]
        self.produce(topic, [("hk", "hv")], deadline, extra=args)
        msgs = self.read_topic(topic, deadline)
        if len(msgs) != 1:
            raise Fail(f"consumed {len(msgs)} records, expected 1")
        flat = msgs[0].get("headers") or []
        got = [(flat[i], to_bytes(flat[i + 1])) for i in range(0, len(flat), 2)]
        if got != sent:
            raise Fail(f"headers {got!r}, expected {sent!r}")
        raise Skip("kcat -H cannot send a NUL byte (argv string), so h2=\\x00\\x01 is impossible; "
                   "h1=v1 and h2=\\x01\\xff round-tripped")

    def compression(self, codec):
        def scenario(deadline):
            topic = f"{self.prefix}-{codec}"
            recs = [(f"k{i}", f"v{i}" + "x" * 100) for i in range(50)]
            self.produce(topic, recs, deadline, extra=["-z", codec])
            got = [(m["key"], m["payload"]) for m in self.read_topic(topic, deadline)]
            if got != recs:
                raise Fail(f"read back {len(got)} records, not equal to the 50 produced")
        return scenario

    def group_takeover(self, deadline):
        raise Skip("kcat has no admin API to create the 4-partition topic (auto-created topics have 1 partition)")


def librdkafka_version():
    out = subprocess.run([KCAT, "-V"], capture_output=True, text=True, timeout=10)
    m = re.search(r"librdkafka ([0-9][^ )]*)", out.stdout + out.stderr)
    kcat = re.search(r"Version (\S+)", out.stdout + out.stderr)
    log.info("kcat %s", kcat.group(1) if kcat else "?")
    return m.group(1) if m else "unknown"


def main():
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    emit(f"VERSION {librdkafka_version()}")
    c = Client(sys.argv[1], sys.argv[2])
    try:
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
    finally:
        if c.group_consumer is not None:  # left over only if commit-resume did not run
            c.group_consumer.proc.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
