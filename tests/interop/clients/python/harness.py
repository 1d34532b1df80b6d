"""What the Python interop programs in this folder share, kept once so that they
report alike and obey the same limits: the PASS/FAIL/SKIP lines run.py reads,
the per-scenario deadline and the program's time budget, the watchdog for a
call that never returns, and the checks on the keyed records every scenario
uses. Each program keeps only what its client does differently.
"""

import contextlib
import logging
import os
import sys
import threading
import time

SCENARIO_SECONDS = 30.0
SETTLE_SECONDS = 1.5  # extra polling after the expected count, to catch duplicates
CODECS = ("gzip", "snappy", "lz4", "zstd")

# Named after the program, so that its lines on stderr say which client wrote them.
log = logging.getLogger(os.path.splitext(os.path.basename(sys.argv[0]))[0])


class Fail(Exception):
    pass


class Skip(Exception):
    pass


class TimedOut(Fail):
    """A scenario cut off at its deadline; its traceback would show only the harness."""


_out_lock = threading.Lock()
_started = time.monotonic()
_current = {"name": None, "deadline": None, "done": False}


def emit(line):
    with _out_lock:
        if _current["done"]:  # the watchdog has had the last word
            return
        sys.stdout.write(line.replace("\n", " ") + "\n")
        sys.stdout.flush()


def left(deadline):
    return max(0.0, deadline - time.monotonic())


def left_ms(deadline):
    return max(1, int(left(deadline) * 1000))


def keyed(*span, pad=""):
    """Records (k<i>, v<i><pad>) for i in range(*span): check_exactly knows a value from its key."""
    return [(f"k{i}", f"v{i}{pad}") for i in range(*span)]


def start(doc, level=logging.INFO):
    """Logs to stderr (libraries at `level`) and returns (bootstrap, prefix), or None after the usage."""
    logging.basicConfig(stream=sys.stderr, level=level, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    log.setLevel(logging.INFO)
    if len(sys.argv) != 3:
        sys.stderr.write(doc)
        return None
    return sys.argv[1], sys.argv[2]


def start_watchdog(scenarios, grace=5.0, why="library call did not return"):
    """Ends the program once a scenario is `grace` seconds past its deadline: the
    call that hung (`why`) cannot be interrupted, so report it and what was not run."""
    names = [n for n, _ in scenarios]

    def watch():
        while True:
            time.sleep(0.5)
            name, deadline = _current["name"], _current["deadline"]
            if name is None or deadline is None or time.monotonic() <= deadline + grace:
                continue
            with _out_lock:
                out = [f"FAIL {name}: hung past its {SCENARIO_SECONDS:.0f}s deadline ({why})"]
                out += [f"FAIL {n}: not run, an earlier scenario hung" for n in names[names.index(name) + 1:]]
                sys.stdout.write("\n".join(out) + "\n")
                sys.stdout.flush()
                _current["done"] = True
            os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def budgets(scenarios, program_seconds):
    """Yields (name, fn, seconds) for the scenarios the program's time budget still allows."""
    for name, fn in scenarios:
        remaining = program_seconds - (time.monotonic() - _started)
        if remaining < 2.0:
            emit(f"FAIL {name}: not run, program time budget exhausted")
            continue
        yield name, fn, min(SCENARIO_SECONDS, remaining)


@contextlib.contextmanager
def reported(name, seconds, late=0.0):
    """Runs the block as scenario `name`, giving it its deadline, and reports how it
    went; finishing more than `late` seconds past the deadline is a failure."""
    deadline = time.monotonic() + seconds
    _current.update(name=name, deadline=deadline)
    t0 = time.monotonic()
    try:
        yield deadline
        if time.monotonic() > deadline + late:
            raise Fail("finished after its deadline")
        emit(f"PASS {name}")
    except Skip as e:
        emit(f"SKIP {name}: {e}")
    except Exception as e:  # noqa: BLE001 - any error is a scenario failure
        if not isinstance(e, TimedOut):
            log.exception("scenario %s failed", name)
        reason = str(e) if isinstance(e, Fail) else f"{type(e).__name__}: {e}"
        emit(f"FAIL {name}: {reason}")
    finally:
        _current.update(name=None, deadline=None)
        log.info("scenario %s took %.1fs", name, time.monotonic() - t0)


def run_scenarios(scenarios, program_seconds=110.0, late=0.0, watchdog=True):
    if watchdog:
        start_watchdog(scenarios)
    for name, fn, seconds in budgets(scenarios, program_seconds):
        with reported(name, seconds, late) as deadline:
            fn(deadline)


def exit_now():
    """Skips interpreter teardown: a client left behind by a failed scenario (a
    librdkafka handle, a library thread) must not delay or hang the exit."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


class Client:
    """State and checks shared by every program's scenarios; a subclass implements
    the scenarios and says how to read a consumed record: key, value, partition
    and header_pairs."""

    def __init__(self, bootstrap, prefix):
        self.bootstrap = bootstrap
        self.prefix = prefix
        self.part_of = {}  # key -> partition of <prefix>-three, from produce-keyed
        self.group_consumer = None  # consumer of group-consume, taken over by commit-resume

    def scenarios(self):
        """The matrix's scenarios in run order: later ones use the topics and group of earlier ones."""
        return [("produce-auto-topic", self.produce_auto_topic),
                ("create-topic", self.create_topic),
                ("produce-keyed", self.produce_keyed),
                ("group-consume", self.group_consume),
                ("commit-resume", self.commit_resume),
                ("headers", self.headers),
                *((f"compression-{codec}", self.compression(codec)) for codec in CODECS),
                ("group-takeover", self.group_takeover),
                ("list-topics", self.list_topics)]

    def check_listed(self, names, what):
        """list-topics: a listing of every topic must hold those the earlier
        scenarios made (every client makes <prefix>-auto and -gzip)."""
        want = {f"{self.prefix}-auto", f"{self.prefix}-gzip"}
        missing = want - set(names)
        if missing:
            raise Fail(f"{what} lists {len(names)} topics, not {sorted(missing)}")

    def take_group_consumer(self):
        c, self.group_consumer = self.group_consumer, None
        if c is None:
            raise Fail("no consumer from group-consume")
        return c

    def check_exactly(self, msgs, expected_keys, what):
        keys = [self.key(m) for m in msgs]
        dup = {k for k in keys if keys.count(k) > 1}
        if dup:
            raise Fail(f"{what}: duplicates, e.g. {sorted(dup)[:3]} ({len(keys)} records)")
        missing, extra = set(expected_keys) - set(keys), set(keys) - set(expected_keys)
        if missing or extra:
            raise Fail(f"{what}: got {len(keys)} records; missing {len(missing)} (e.g. {sorted(missing)[:3]}), "
                       f"unexpected {len(extra)} (e.g. {sorted(extra)[:3]})")
        for m in msgs:
            k, v = self.key(m), self.value(m)
            if v != "v" + k[1:]:
                raise Fail(f"{what}: key {k} has value {v!r}")

    def note_partitions(self, placed):
        """Remembers each (key, partition) produced to <prefix>-three; the keys must
        keep their partition and spread over all three."""
        for k, p in placed:
            if self.part_of.setdefault(k, p) != p:
                raise Fail(f"key {k} went to partitions {self.part_of[k]} and {p}")
        used = sorted(set(self.part_of.values()))
        if used != [0, 1, 2]:
            raise Fail(f"records landed only in partitions {used}")

    def check_group_consumed(self, msgs):
        self.check_exactly(msgs, [k for k, _ in keyed(300)], "group consumer")
        for m in msgs:
            want = self.part_of.get(self.key(m))
            if want is not None and want != self.partition(m):
                raise Fail(f"key {self.key(m)} produced to partition {want} but fetched from {self.partition(m)}")

    def check_headers(self, msgs, want):
        if len(msgs) != 1:
            raise Fail(f"consumed {len(msgs)} records, expected 1")
        got = self.header_pairs(msgs[0])
        if got != want:
            raise Fail(f"headers {got!r}, expected {want!r}")

    def check_takeover(self, got, owned, now, recs):
        """`got` and `owned`: each consumer's records and partitions once the group
        settled; `now`: its partitions after consuming."""
        for label, own in owned.items():
            stray = [self.partition(m) for m in got[label] if self.partition(m) not in own]
            if stray:
                raise Fail(f"consumer {label} got records from partitions {sorted(set(stray))} it does not own")
        if now != owned:
            raise Fail(f"assignment changed while consuming: A {sorted(now['A'])}, B {sorted(now['B'])}")
        self.check_exactly(got["A"] + got["B"], [k for k, _ in recs], f"A ({len(got['A'])}) + B ({len(got['B'])})")
