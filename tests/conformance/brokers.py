"""A fresh broker for each suite: klamm or Apache Kafka, on a free port.

The conformance run compares klamm with the broker it imitates, so every
suite gets a broker nobody else touched: klamm in memory on 127.0.0.1:0, or
Kafka 4.4.0 from tests/lab in KRaft mode on a free port. Each is stopped by
its own pid; the broker's log is kept in the results directory so a
failing test can be read next to the request that failed.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "lab"))

from apache_kafka import KafkaCluster  # noqa: E402

# Each suite's broker is set up as the suite's own CI sets up its Kafka, and
# klamm gets the same settings, so a test fails on a broker only for what the
# broker does. Otherwise both stay at their defaults.
SETTINGS = {
    # franz-go's CI: the KIP-848 and share-group protocols switched on, and a
    # delivery limit its share ETL test needs.
    "kgo": {
        "kafka": {
            "group.coordinator.rebalance.protocols": "classic,consumer,share",
            "group.share.delivery.count.limit": "10",
            "share.coordinator.state.topic.num.partitions": "5",
        },
        "klamm": {},
    },
    # kafka-python's fixture (its servers/resources/default/kafka.properties):
    # short session timeouts allowed, no initial rebalance delay, topics
    # auto-created with 4 partitions, an authorizer that allows everyone.
    "kafka-python": {
        "kafka": {
            "group.min.session.timeout.ms": "1000",
            "group.initial.rebalance.delay.ms": "0",
            "num.partitions": "4",
            "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "allow.everyone.if.no.acl.found": "true",
        },
        "klamm": {
            "group_min_session_timeout_ms": 1000,
            "group_initial_rebalance_delay_ms": 0,
            "num_partitions": 4,
        },
    },
}

LISTENING = re.compile(r"listening on (127\.0\.0\.1:\d+)")


class Klamm:
    """klamm in memory; RUST_LOG (default debug) goes to `log`."""

    def __init__(self, binary, log, settings, rust_log="info"):
        self.log = log
        self.name = "klamm"
        env = dict(os.environ, RUST_LOG=rust_log)
        config = log[:-len(".log")] + ".toml"
        with open(config, "w") as f:
            for key, value in settings.items():
                f.write(f"{key} = {value}\n")
        self.out = open(log, "wb")
        self.proc = subprocess.Popen(
            [binary, "--config", config, "--listeners", "127.0.0.1:0", "--in-memory"],
            stdin=subprocess.DEVNULL, stdout=self.out, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 30
        while True:
            with open(log, errors="replace") as f:
                found = LISTENING.search(f.read(65536))
            if found:
                self.bootstrap = found.group(1)
                return
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"klamm did not start: see {log}")
            time.sleep(0.05)

    @property
    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.out.close()


class Kafka:
    """Apache Kafka 4.4.0 (tests/lab); its server.log is copied to `log`."""

    def __init__(self, log, data_dir, settings):
        self.log = log
        self.name = "kafka"
        self.data_dir = data_dir
        shutil.rmtree(data_dir, ignore_errors=True)
        self.cluster = KafkaCluster(brokers=1, config=settings, data_dir=data_dir)
        self.bootstrap = self.cluster.bootstrap

    @property
    def alive(self):
        return all(p.poll() is None for p in self.cluster.procs)

    def stop(self):
        self.cluster.stop()
        server_log = os.path.join(self.data_dir, "node-1", "server.log")
        if os.path.exists(server_log):
            shutil.copyfile(server_log, self.log)
        shutil.rmtree(self.data_dir, ignore_errors=True)


def toml_value(value):
    """A --set value as TOML: numbers and booleans as they are, else a string."""
    if re.fullmatch(r"-?\d+|true|false", value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def start(kind, suite, results_dir, klamm_binary=None, rust_log="info", overrides=None):
    """`overrides` (Kafka's names, from --set) go over the suite's settings;
    klamm's names are Kafka's with underscores."""
    log = os.path.join(results_dir, f"{suite}-{kind}.log")
    settings = dict(SETTINGS[suite][kind])
    for name, value in (overrides or {}).items():
        if kind == "klamm":
            settings[name.replace(".", "_")] = toml_value(value)
        else:
            settings[name] = value
    if kind == "klamm":
        return Klamm(klamm_binary, log, settings, rust_log)
    return Kafka(log, os.path.join(results_dir, f"{suite}-kafka-data"), settings)
