#!/usr/bin/env python3
"""Apache Kafka beside klamm: the oracle of the lab.

Starts Apache Kafka 4.x (the jars `install-kafka.sh` puts in
target/lab/kafka/libs) with the machine's Java 17 in KRaft mode on
127.0.0.1: one node that is broker and controller, plus broker-only nodes
for `brokers > 1`, each on its own port. Every process is stopped by its
own pid, and its data directory is removed.

As a library (run.py, the conformance script):

    with KafkaCluster(brokers=1) as kafka:
        kafka.bootstrap        # "127.0.0.1:PORT,..."

As a command, for harnesses in other languages (the differential test):

    tests/lab/apache_kafka.py serve [--port P] [--brokers N] [--set key=value]...

prints `kafka listening on 127.0.0.1:PORT[,...] pid PID` once every broker
answers Metadata, then runs until SIGTERM or SIGINT, when it stops Kafka.
Ports are chosen free (bind to port 0, release, hand to Kafka) unless
--port gives the first broker's; broker i listens on port + i - 1.
"""

import argparse
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LIBS = os.path.join(ROOT, "target", "lab", "kafka", "libs")
JAVA = os.environ.get("KLAMM_LAB_JAVA", "java")
START_TIMEOUT = 90

# What a one-node lab needs where Kafka's defaults assume three brokers; the
# rest stays Kafka's default, so the lab answers as a stock Kafka does.
BASE_CONFIG = {
    "offsets.topic.replication.factor": "1",
    "offsets.topic.num.partitions": "50",
    "transaction.state.log.replication.factor": "1",
    "transaction.state.log.min.isr": "1",
    "share.coordinator.state.topic.replication.factor": "1",
    "share.coordinator.state.topic.min.isr": "1",
    "log.flush.interval.messages": str(2**63 - 1),
}

LOG4J = """\
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = {log}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = {level}
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = {level}
logger.request.name = kafka.request.logger
logger.request.level = WARN
"""


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def classpath():
    if not os.path.isdir(LIBS):
        raise RuntimeError(f"no Kafka jars in {LIBS}: run tests/lab/install-kafka.sh")
    return os.path.join(LIBS, "*")


# ----- just enough of the protocol to know when Kafka is ready -------------------


def _request(sock, api_key, version, body, correlation):
    header = struct.pack(">hhi", api_key, version, correlation) + struct.pack(">h", 5) + b"klamm"
    frame = header + body
    sock.sendall(struct.pack(">i", len(frame)) + frame)
    size = struct.unpack(">i", _read(sock, 4))[0]
    return _read(sock, size)[4:]  # drop the correlation id


def _read(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def metadata_brokers(address, timeout=2.0):
    """The number of brokers a Metadata v1 (all topics) answer lists."""
    host, port = address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.settimeout(timeout)
        body = _request(sock, 3, 1, struct.pack(">i", -1), 1)
        return struct.unpack(">i", body[:4])[0]


# ----- the cluster -----------------------------------------------------------------


class KafkaCluster:
    """A running Apache Kafka: node 1 is broker and controller, nodes 2..N are
    brokers. `bootstrap` lists every broker; `stop()` (or leaving the `with`)
    stops each JVM by its pid and removes the data."""

    def __init__(self, brokers=1, port=None, config=None, data_dir=None, log_level="INFO"):
        self.procs = []
        self.brokers = brokers
        self.owned_dir = data_dir is None
        self.dir = data_dir or tempfile.mkdtemp(prefix="klamm-lab-kafka-")
        self.ports = [port + i for i in range(brokers)] if port else [free_port() for _ in range(brokers)]
        self.controller_port = free_port()
        self.addresses = [f"127.0.0.1:{p}" for p in self.ports]
        self.bootstrap = ",".join(self.addresses)
        self.config = {**BASE_CONFIG, **(config or {})}
        self.log_level = log_level
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def _properties(self, node):
        port = self.ports[node - 1]
        props = {
            "node.id": str(node),
            "controller.quorum.voters": f"1@127.0.0.1:{self.controller_port}",
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "inter.broker.listener.name": "PLAINTEXT",
            "log.dirs": os.path.join(self.dir, f"node-{node}", "data"),
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
        }
        if node == 1:
            props["process.roles"] = "broker,controller"
            props["listeners"] = f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{self.controller_port}"
        else:
            props["process.roles"] = "broker"
            props["listeners"] = f"PLAINTEXT://127.0.0.1:{port}"
        props.update(self.config)
        path = os.path.join(self.dir, f"node-{node}", "server.properties")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            for key, value in props.items():
                f.write(f"{key}={value}\n")
        return path

    def _java(self, node, main, *args, **popen):
        node_dir = os.path.join(self.dir, f"node-{node}")
        log4j = os.path.join(node_dir, "log4j2.properties")
        with open(log4j, "w") as f:
            f.write(LOG4J.format(log=os.path.join(node_dir, "server.log"), level=self.log_level))
        argv = [
            JAVA, "-Xms128m", "-Xmx768m", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
            "-Djava.awt.headless=true", f"-Dlog4j2.configurationFile={log4j}",
            f"-Dkafka.logs.dir={node_dir}", "-cp", classpath(), main, *args,
        ]
        return subprocess.Popen(argv, cwd=node_dir, stdin=subprocess.DEVNULL, **popen)

    def _start(self):
        cluster_id = _kafka_uuid()
        configs = {node: self._properties(node) for node in range(1, self.brokers + 1)}
        formats = [
            (node, self._java(node, "kafka.tools.StorageTool", "format", f"--cluster-id={cluster_id}", "-c", path,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
            for node, path in configs.items()
        ]
        for node, proc in formats:
            out, _ = proc.communicate(timeout=120)
            if proc.returncode != 0:
                raise RuntimeError(f"formatting Kafka node {node} failed: {out.decode(errors='replace')[-500:]}")
        for node, path in configs.items():
            out = open(os.path.join(self.dir, f"node-{node}", "stdout.log"), "wb")
            proc = self._java(node, "kafka.Kafka", path, stdout=out, stderr=subprocess.STDOUT)
            self.procs.append(proc)
        deadline = time.time() + START_TIMEOUT
        for address in self.addresses:
            while True:
                dead = [p for p in self.procs if p.poll() is not None]
                if dead:
                    raise RuntimeError(f"Kafka exited with {dead[0].returncode}: see {self.log_tail()}")
                try:
                    if metadata_brokers(address) >= self.brokers:
                        break
                except (OSError, ConnectionError, struct.error):
                    pass
                if time.time() > deadline:
                    raise RuntimeError(f"Kafka did not answer on {address} within {START_TIMEOUT} s: {self.log_tail()}")
                time.sleep(0.2)

    def log_tail(self, lines=5):
        path = os.path.join(self.dir, "node-1", "server.log")
        try:
            with open(path, errors="replace") as f:
                return " | ".join(l.rstrip() for l in f.readlines()[-lines:])
        except OSError:
            return path

    @property
    def pids(self):
        return [p.pid for p in self.procs]

    def stop(self):
        # Brokers first, the controller last, as an operator would.
        for proc in reversed(self.procs):
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGTERM)
        for proc in reversed(self.procs):
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(10)
        self.procs = []
        if self.owned_dir:
            shutil.rmtree(self.dir, ignore_errors=True)


def _kafka_uuid():
    """A cluster id as Kafka prints them: a random UUID, base64url without padding."""
    import base64
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="start Kafka and run until SIGTERM")
    serve.add_argument("--port", type=int, help="the first broker's port (default: free ports)")
    serve.add_argument("--brokers", type=int, default=1)
    serve.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a broker config")
    serve.add_argument("--keep", metavar="DIR", help="keep data and logs in DIR")
    args = parser.parse_args()
    config = dict(item.split("=", 1) for item in args.set)
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
    cluster = KafkaCluster(brokers=args.brokers, port=args.port, config=config, data_dir=args.keep)
    try:
        print(f"kafka listening on {cluster.bootstrap} pid {os.getpid()}", flush=True)
        while not stopping.wait(1):
            if any(p.poll() is not None for p in cluster.procs):
                print(f"kafka exited: {cluster.log_tail()}", file=sys.stderr, flush=True)
                return 1
        return 0
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
