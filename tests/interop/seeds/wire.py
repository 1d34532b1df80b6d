"""The two Kafka requests the seed runner sends itself: CreateTopics, to set up
a topic the way an operator would before starting a program, and Metadata, to
wait until every broker of a cluster knows it. Written against the wire format
(CreateTopics v2, Metadata v1: both old enough for klamm and Kafka 4 alike) so
that the setup does not go through a client library that is under test.
"""

import socket
import struct
import time

CREATE_TOPICS, METADATA = 19, 3
TOPIC_ALREADY_EXISTS = 36


def _string(s):
    data = s.encode()
    return struct.pack(">h", len(data)) + data


class _Reader:
    def __init__(self, data):
        self.data, self.at = data, 0

    def take(self, fmt):
        values = struct.unpack_from(fmt, self.data, self.at)
        self.at += struct.calcsize(fmt)
        return values[0] if len(values) == 1 else values

    def string(self):
        n = self.take(">h")
        if n < 0:
            return None
        s = self.data[self.at:self.at + n].decode(errors="replace")
        self.at += n
        return s


def _call(address, api_key, version, body, timeout):
    host, port = address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.settimeout(timeout)
        frame = struct.pack(">hhi", api_key, version, 1) + _string("klamm-seeds") + body
        sock.sendall(struct.pack(">i", len(frame)) + frame)
        size = struct.unpack(">i", _exactly(sock, 4))[0]
        return _Reader(_exactly(sock, size)[4:])  # past the correlation id


def _exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("the broker closed the connection")
        data += chunk
    return data


def create_topic(address, topic, partitions, replication_factor=1, timeout=10.0):
    """Creates topic through the broker at address; an existing topic is fine.
    Raises RuntimeError with the broker's error otherwise."""
    body = (struct.pack(">i", 1) + _string(topic) + struct.pack(">ihii", partitions, replication_factor, 0, 0)
            + struct.pack(">i?", int(timeout * 1000), False))
    r = _call(address, CREATE_TOPICS, 2, body, timeout + 2)
    r.take(">i")  # throttle time
    for _ in range(r.take(">i")):
        name, error, message = r.string(), r.take(">h"), r.string()
        if name == topic and error not in (0, TOPIC_ALREADY_EXISTS):
            raise RuntimeError(f"CreateTopics {topic}: error {error} ({message})")


def topic_leaders(address, topic, timeout=5.0):
    """The leader of each partition of topic as the broker at address sees
    it (-1 where it has none), or None while it does not know the topic."""
    r = _call(address, METADATA, 1, struct.pack(">i", 1) + _string(topic), timeout)
    for _ in range(r.take(">i")):  # brokers: node id, host, port, rack
        r.take(">i"), r.string(), r.take(">i"), r.string()
    r.take(">i")  # controller
    leaders = None
    for _ in range(r.take(">i")):
        error, name, _internal = r.take(">h"), r.string(), r.take(">?")
        parts = {}
        for _ in range(r.take(">i")):
            _perror, index, leader = r.take(">hii")
            for _ in range(2):  # replicas, isr
                r.take(f">{r.take('>i')}i")
            parts[index] = leader
        if name == topic and error == 0:
            leaders = parts
    return leaders


def wait_for_topic(addresses, topic, partitions, limit=30.0):
    """Waits until every broker in addresses answers Metadata for topic with
    a leader for each of its partitions; returns whether that happened."""
    deadline = time.time() + limit
    pending = list(addresses)
    while pending and time.time() < deadline:
        try:
            leaders = topic_leaders(pending[0], topic)
        except (OSError, ConnectionError, struct.error):
            leaders = None
        if leaders and len(leaders) == partitions and all(l >= 0 for l in leaders.values()):
            pending.pop(0)
        else:
            time.sleep(0.2)
    return not pending
