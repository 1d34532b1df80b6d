"""The `test.service` module kafka-python's integration fixtures import.

kafka-python's sdist ships test/integration but not test/service.py, which
its fixtures import for the broker processes they spawn. The conformance run
always points the fixtures at a broker it started itself (KAFKA_URI), where
they only wrap the address in an ExternalService and never start anything;
install.sh puts this file in the unpacked sdist as test/service.py.
"""


class ExternalService:
    """A broker someone else runs: nothing to start, stop or read logs from."""

    def __init__(self, host, port):
        self.host = host
        self.port = port

    def start(self):
        pass

    def stop(self):
        pass

    def dump_logs(self):
        pass

    def wait_for(self, pattern, timeout=30):
        return True


class SpawnedService:
    """Fixtures that spawn their own Kafka (SASL, SSL) cannot run here."""

    def __init__(self, args=None, env=None):
        raise RuntimeError("the conformance run points kafka-python at an external broker; "
                           "it does not spawn Kafka from a kafka-bin directory")
