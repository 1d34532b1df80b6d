#!/usr/bin/env bash
# Installs what scripts/conformance runs, pinned and idempotently (a second
# run with nothing changed does nothing), so nothing is fetched at test time:
#   - Apache Kafka 4.4.0 for the lab (tests/lab/install-kafka.sh)
#   - franz-go v1.22.3 from the Go module proxy (tests/conformance/kgo/go.mod
#     and go.sum), its kgo package's tests compiled to target/conformance/kgo.test
#   - a venv target/conformance/venv with requirements.txt (pytest and the
#     codecs kafka-python's suite uses), and kafka-python 3.0.12's PyPI sdist
#     unpacked in target/conformance/kafka-python/src for its test/integration
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/target/conformance"
go="${GO:-/usr/local/go/bin/go}"
mkdir -p "$out"

"$root/tests/lab/install-kafka.sh" >/dev/null

# kgo: the stamp names the pins and the toolchain the binary was built with.
want="$(cat "$here/kgo/go.mod" "$here/kgo/go.sum" | sha256sum | cut -d' ' -f1) $("$go" version)"
if [ ! -x "$out/kgo.test" ] || [ "$(cat "$out/kgo.stamp" 2>/dev/null)" != "$want" ]; then
    (cd "$here/kgo" && GOFLAGS=-mod=readonly "$go" mod download all \
        && GOFLAGS=-mod=readonly "$go" test -c -o "$out/kgo.test" github.com/twmb/franz-go/pkg/kgo \
        && GOFLAGS=-mod=readonly "$go" list -f '{{.Dir}}' github.com/twmb/franz-go/pkg/kgo >"$out/kgo.srcdir")
    echo "$want" >"$out/kgo.stamp"
fi

# kafka-python: a venv of its own, so the interop's system-wide clients stay as they are.
want="$(cat "$here/requirements.txt" "$here/kafka_python/service.py" "$0" | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$out/python.stamp" 2>/dev/null)" != "$want" ]; then
    rm -rf "$out/venv" "$out/kafka-python"
    python3 -m venv "$out/venv"
    "$out/venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
    mkdir -p "$out/kafka-python/sdist" "$out/kafka-python/no-kafka-bin"
    "$out/venv/bin/pip" download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
        -d "$out/kafka-python/sdist" kafka-python==3.0.12
    tar -xzf "$out/kafka-python/sdist/kafka_python-3.0.12.tar.gz" -C "$out/kafka-python"
    mv "$out/kafka-python/kafka_python-3.0.12" "$out/kafka-python/src"
    # The sdist's tests need two files it does not ship: test/__init__.py, so
    # `test` is its package and not the standard library's, and test/service.py,
    # which its fixtures import (see kafka_python/service.py).
    touch "$out/kafka-python/src/test/__init__.py"
    cp "$here/kafka_python/service.py" "$out/kafka-python/src/test/service.py"
    echo "$want" >"$out/python.stamp"
fi
echo "conformance suites installed in $out"
