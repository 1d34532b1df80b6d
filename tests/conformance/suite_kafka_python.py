"""kafka-python's integration tests (3.0.12, from its PyPI sdist) against one broker.

install.sh unpacks the sdist into target/conformance/kafka-python and makes
its tests importable; here pytest runs test/integration in the venv with
KAFKA_URI naming the broker, which the suite's conftest treats as an
external broker it must not start or stop. KAFKA_VERSION=4.3 is the newest
broker version kafka-python 3.0.12 has a table for: the clients it makes
clamp it to what the broker's ApiVersions says, so it bounds, not forces,
the versions they use. Each test has a limit (pytest-timeout, by signal, so
one stuck test fails alone) and the whole run a budget; results come from
pytest's JUnit XML.
"""

import os
import subprocess
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SRC = os.path.join(ROOT, "target", "conformance", "kafka-python", "src")
PYTHON = os.path.join(ROOT, "target", "conformance", "venv", "bin", "python")
KAFKA_VERSION = "4.3"


def run(bootstrap, tests, per_test, budget, results_dir, label):
    """Runs pytest node ids `tests` (None: all of test/integration) and returns
    {id: (status, seconds, reason)} with ids like test_admin_integration.py::test_x."""
    xml = os.path.join(results_dir, f"{label}.xml")
    log = os.path.join(results_dir, f"{label}.out")
    if os.path.exists(xml):
        os.remove(xml)
    env = dict(os.environ, KAFKA_URI=f"PLAINTEXT://{bootstrap}", KAFKA_VERSION=KAFKA_VERSION,
               KAFKA_ROOT=os.path.join(ROOT, "target", "conformance", "kafka-python", "no-kafka-bin"),
               PYTHONDONTWRITEBYTECODE="1")
    targets = [f"test/integration/{t}" for t in tests] if tests else ["test/integration"]
    argv = [PYTHON, "-m", "pytest", *targets, "-p", "no:cacheprovider", "-o", "addopts=",
            "-o", "log_level=INFO", "-q", "-rfEs", f"--timeout={per_test}", "--timeout-method=signal",
            f"--junitxml={xml}"]
    with open(log, "wb") as out:
        try:
            subprocess.run(argv, cwd=SRC, env=env, stdin=subprocess.DEVNULL, stdout=out,
                           stderr=subprocess.STDOUT, timeout=budget)
        except subprocess.TimeoutExpired:
            out.write(b"\nconformance: the suite's time budget ran out\n")
    results = parse(xml) if os.path.exists(xml) else {}
    for test in tests or []:
        results.setdefault(test, ("notrun", 0, "no result (budget ran out or pytest did not collect it)"))
    return results


def parse(path):
    results = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        module = case.get("classname", "").rsplit(".", 1)[-1]
        name = f"{module}.py::{case.get('name')}"
        if module.startswith("Test"):  # a method of a test class
            parts = case.get("classname").split(".")
            name = f"{parts[-2]}.py::{parts[-1]}::{case.get('name')}"
        seconds = float(case.get("time", 0))
        status, reason = "pass", ""
        for child in case:
            if child.tag in ("failure", "error"):
                status = "fail"
                reason = first_line(child.get("message") or child.text or child.tag)
                break
            if child.tag == "skipped":
                status = "skip"
                reason = first_line(child.get("message") or "")
        results[name] = (status, seconds, reason)
    return results


def first_line(text):
    lines = [l.strip() for l in (text or "").strip().splitlines() if l.strip()]
    return (lines[0] if lines else "")[:600]
