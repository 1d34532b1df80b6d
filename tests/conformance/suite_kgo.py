"""franz-go's kgo tests (v1.22.3, from the Go module cache) against one broker.

install.sh compiles the package's tests once into target/conformance/kgo.test;
here `go tool test2json` runs that binary (one JSON event per line) with the
variables kgo's helpers_test.go reads: KGO_SEEDS, KGO_TEST_RF=1,
KGO_TEST_RECORDS.

Go has only a whole-binary timeout, and some tests hang rather than fail on
a broker without a feature (the transactional ETL waits for ever on a broker
without transactions). So a watchdog reads the events as they come: a
top-level test that runs longer than the per-test limit has the binary
killed and is recorded as `timeout`, and the binary is started again with
every test that has a result left out. When the blame is not clear (two
tests over the limit, or one whose subtests wait for a parallel slot that a
hung test holds) those tests are run again one by one. A test goroutine's
panic ends the binary too; the tests running then are recorded as failed.
"""

import json
import os
import re
import signal
import subprocess
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BINARY = os.path.join(ROOT, "target", "conformance", "kgo.test")
SRCDIR = os.path.join(ROOT, "target", "conformance", "kgo.srcdir")
GO = os.environ.get("GO", "/usr/local/go/bin/go")
MAX_ROUNDS = 12


def list_tests():
    out = subprocess.run([BINARY, "-test.list", "."], capture_output=True, text=True, check=True,
                         cwd=package_dir(), timeout=60).stdout
    return [line for line in out.split() if line.startswith("Test")]


def package_dir():
    """kgo's source directory in the module cache: one test reads config.go
    relative to its working directory, as `go test` would run it."""
    with open(SRCDIR) as f:
        return f.read().strip()


class Round:
    """One run of the test binary, watched test by test."""

    def __init__(self, env, run_re, per_test, deadline, log, events, alone=False):
        self.events = events
        self.results = {}   # top-level test -> (status, seconds, reason)
        self.subtests = {}  # "Test/sub" -> (status, Go's Elapsed: from its start or parallel release)
        self.started = {}   # top-level test -> when it (re)started running
        self.output = {}    # top-level test -> its last output lines
        self.waiting = {}   # top-level test -> its subtests paused for a parallel slot
        self.overdue = set()
        self.suspects = set()
        self.killed_for = None
        self.lock = threading.Lock()
        argv = [GO, "tool", "test2json", "-t", BINARY, "-test.v=test2json", "-test.count=1",
                "-test.timeout", f"{max(1, int(deadline - time.monotonic()) + 30)}s", "-test.run", run_re]
        self.proc = subprocess.Popen(argv, cwd=package_dir(), env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=log, start_new_session=True)
        reader = threading.Thread(target=self._read, daemon=True)
        reader.start()
        while reader.is_alive():
            reader.join(1)
            now = time.monotonic()
            with self.lock:
                self.overdue = {t for t, since in self.started.items() if now - since > per_test}
            if self.overdue or now > deadline:
                self.killed_for = "timeout" if self.overdue else "budget"
                self._kill()
                reader.join(10)
                break
        self.proc.wait()
        now = time.monotonic()
        # A test over its limit is to blame only when it is clear: run alone,
        # or the one test over the limit with no subtest waiting for a
        # parallel slot (a hung test holding the slots starves the others).
        # Otherwise the tests over the limit are suspects, run alone later.
        if self.killed_for == "timeout" and not alone:
            if len(self.overdue) > 1 or any(self.waiting.get(t) for t in self.overdue):
                self.suspects, self.overdue = self.overdue, set()
        for test, since in list(self.started.items()):
            # Running when the binary ended: the test over its limit timed
            # out; the others were cut short by the kill (and run again), or
            # by a panic, which fails every test then running.
            if test in self.suspects:
                continue
            if test in self.overdue:
                self.results[test] = ("timeout", round(now - since, 2), f"no result after {per_test} s")
            elif self.killed_for is None:
                self.results[test] = ("fail", round(now - since, 2),
                                      "the test binary exited while it ran: " + tail(self.output.get(test)))
        self.running_at_end = [t for t in self.started if t not in self.results and t not in self.suspects]

    def _kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # test2json and the test binary under it
        except ProcessLookupError:
            pass

    def _read(self):
        for line in self.proc.stdout:
            self.events.write(line)
            try:
                event = json.loads(line)
            except ValueError:
                continue
            name = event.get("Test")
            if not name:
                continue
            top = name.split("/", 1)[0]
            action = event.get("Action")
            with self.lock:
                if action == "output":
                    lines = self.output.setdefault(top, [])
                    lines.append(event.get("Output", ""))
                    del lines[:-40]
                if name != top:
                    waiting = self.waiting.setdefault(top, set())
                    if action == "pause":
                        waiting.add(name)
                    elif action in ("cont", "pass", "fail", "skip"):
                        waiting.discard(name)
                    if action in ("pass", "fail", "skip"):
                        self.subtests[name] = (action, event.get("Elapsed", 0))
                    continue
                if action in ("run", "cont"):
                    self.started[top] = time.monotonic()
                elif action == "pause":
                    self.started.pop(top, None)
                elif action in ("pass", "fail", "skip"):
                    # Wall time since it last started running: Go's Elapsed
                    # for a test with parallel subtests leaves them out. The
                    # wall time includes subtests waiting for a parallel slot.
                    since = self.started.pop(top, None)
                    seconds = round(time.monotonic() - since, 2) if since else event.get("Elapsed", 0)
                    reason = "" if action == "pass" else tail(self.output.get(top))
                    self.results[top] = (action, seconds, reason)


FAILURE_LINE = re.compile(r"^\s+\S+_test\.go:\d+: ")


def tail(lines):
    """The test's own failure messages, or its last output lines."""
    lines = lines or []
    said = [l.strip() for l in lines if FAILURE_LINE.match(l)]
    picked = said[:4] if said else [l.strip() for l in lines[-4:]]
    return " | ".join(picked)[:600]


def run(bootstrap, tests, records, per_test, budget, log_path, extra_env=None):
    """Runs `tests` (top-level names) and returns {name: (status, seconds, reason)}
    and {subtest: (status, seconds)}."""
    env = dict(os.environ, KGO_SEEDS=bootstrap, KGO_TEST_RF="1", KGO_TEST_RECORDS=str(records),
               KGO_LOG_LEVEL=os.environ.get("KGO_LOG_LEVEL", "none"), GOFLAGS="")
    env.update(extra_env or {})
    deadline = time.monotonic() + budget
    wanted = list(tests)
    results, subtests, suspects = {}, {}, []

    def record(rnd):
        results.update(rnd.results)
        subtests.update(rnd.subtests)
        if rnd.killed_for == "budget":
            for test in rnd.running_at_end:
                results[test] = ("timeout", 0, "the suite's time budget ran out while it ran")

    with open(log_path, "ab") as log, open(log_path[:-len(".out")] + ".jsonl", "ab", buffering=0) as events:
        for _ in range(MAX_ROUNDS):
            left = [t for t in wanted if t not in results and t not in suspects]
            if not left or time.monotonic() >= deadline:
                break
            rnd = Round(env, "^(" + "|".join(left) + ")$", per_test, deadline, log, events)
            record(rnd)
            suspects += sorted(rnd.suspects)
            if rnd.killed_for == "budget":
                break
            if not rnd.results and not rnd.running_at_end and not rnd.suspects:
                break  # the binary ran nothing: do not spin
        for test in suspects:
            if test in results or time.monotonic() >= deadline:
                continue
            record(Round(env, f"^{test}$", per_test, deadline, log, events, alone=True))
    for test in wanted:
        results.setdefault(test, ("notrun", 0, "not reached within the suite's time budget"))
    return results, subtests
