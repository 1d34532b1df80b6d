#!/usr/bin/env python3
"""Interop scenarios for klamm driven by the kcat command-line tool (librdkafka).

Usage: python3 kcat.py <bootstrap host:port> <prefix>     (KCAT=/path/to/kcat overrides)

Prints `VERSION <librdkafka version kcat is built with>` and then one
PASS/FAIL/SKIP line per scenario on stdout; kcat's own diagnostics and our logs
go to stderr. Producers run `kcat -P -K:` with idempotence on and count the
per-message delivery reports (-vv); readers run `kcat -C -e -J`; group
consumers run `kcat -G <group> <topic>` (auto-commit, committed on close) and are
stopped with SIGTERM. kcat has no admin API, so create-topic and group-takeover
are skipped and produce-keyed uses the auto-created (1-partition) topic. kcat's
-H takes the header from a NUL-terminated argv string, so the NUL byte of
h2=\\x00\\x01 cannot be sent. Every subprocess wait is bounded (≤ 30 s per
scenario, ≤ ~2 minutes overall).
"""

import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

import harness
from harness import SETTLE_SECONDS, Fail, Skip, emit, keyed, left, log

KCAT = os.environ.get("KCAT") or shutil.which("kcat") or "/usr/bin/kcat"


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


class Client(harness.Client):
    key = staticmethod(lambda m: m["key"])
    value = staticmethod(lambda m: m["payload"])

    @staticmethod
    def header_pairs(m):
        flat = m.get("headers") or []  # -J lists them as k1, v1, k2, v2, ...
        return [(flat[i], to_bytes(flat[i + 1])) for i in range(0, len(flat), 2)]

    def produce(self, topic, records, deadline, extra=()):
        """Pipes `key:value` lines into `kcat -P -K:`; checks every record was acked."""
        cmd = [KCAT, "-b", self.bootstrap, "-P", "-t", topic, "-K:", "-vv",
               "-X", "enable.idempotence=true", "-X", "acks=all", *extra]
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

    # -- scenarios

    def produce_auto_topic(self, deadline):
        self.produce(f"{self.prefix}-auto", keyed(100), deadline)

    def create_topic(self, deadline):
        raise Skip("kcat has no admin API to create a topic with a partition count")

    def produce_keyed(self, deadline):
        topic = f"{self.prefix}-three"
        recs = keyed(300)
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
        self.check_exactly(msgs, [k for k, _ in keyed(300)], "group consumer")
        for m in msgs:
            want = self.part_of.get(m["key"])
            if want is not None and want != m["partition"]:
                raise Fail(f"key {m['key']} was in partition {want} but the group read it from {m['partition']}")

    def commit_resume(self, deadline):
        c = self.take_group_consumer()
        status = c.stop(timeout=min(10.0, left(deadline)))
        if status != 0:
            raise Fail(f"kcat -G exited with status {status} on SIGTERM")
        recs = keyed(300, 350)
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
        self.check_headers(msgs, sent)
        raise Skip("kcat -H cannot send a NUL byte (argv string), so h2=\\x00\\x01 is impossible; "
                   "h1=v1 and h2=\\x01\\xff round-tripped")

    def compression(self, codec):
        def scenario(deadline):
            topic = f"{self.prefix}-{codec}"
            recs = keyed(50, pad="x" * 100)
            self.produce(topic, recs, deadline, extra=["-z", codec])
            got = [(m["key"], m["payload"]) for m in self.read_topic(topic, deadline)]
            if got != recs:
                raise Fail(f"read back {len(got)} records, not equal to the 50 produced")
        return scenario

    def group_takeover(self, deadline):
        raise Skip("kcat has no admin API to create the 4-partition topic (auto-created topics have 1 partition)")

    def list_topics(self, deadline):
        cmd = [KCAT, "-b", self.bootstrap, "-L", "-J"]
        try:
            res = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=left(deadline))
        except subprocess.TimeoutExpired:
            raise Fail("kcat -L did not answer before the deadline") from None
        if res.returncode != 0:
            raise Fail(f"kcat -L exited {res.returncode}: {res.stderr.decode(errors='replace').strip()[-200:]}")
        self.check_listed([t["topic"] for t in decode_json_line(res.stdout)["topics"]], "kcat -L")


def librdkafka_version():
    out = subprocess.run([KCAT, "-V"], capture_output=True, text=True, timeout=10)
    m = re.search(r"librdkafka ([0-9][^ )]*)", out.stdout + out.stderr)
    kcat = re.search(r"Version (\S+)", out.stdout + out.stderr)
    log.info("kcat %s", kcat.group(1) if kcat else "?")
    return m.group(1) if m else "unknown"


def main():
    args = harness.start(__doc__)
    if args is None:
        return 2
    emit(f"VERSION {librdkafka_version()}")
    c = Client(*args)
    try:
        # No watchdog: kcat runs in subprocesses, and every wait on one has a timeout.
        harness.run_scenarios(c.scenarios(), program_seconds=105.0, late=1.0, watchdog=False)
    finally:
        if c.group_consumer is not None:  # left over only if commit-resume did not run
            c.group_consumer.proc.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
