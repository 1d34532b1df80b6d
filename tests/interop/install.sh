#!/usr/bin/env bash
# Installs everything the interop matrix (run.py) needs, pinned, idempotently:
# a second run finds everything in place and changes nothing.
#   Debian: kcat (librdkafka 2.0.2), librdkafka-dev, and the old Go libraries
#           confluent-kafka-go 0.11.6, sarama 1.22.1, kafka-go 0.2.1
#   PyPI:   confluent-kafka, kafka-python, aiokafka (clients/python/requirements.txt)
#   npm:    kafkajs (clients/kafkajs/package-lock.json)
#   Go module proxy: the modules of clients/go/go.mod (today's Go clients) and
#           seeds/go.mod (what the seed programs import), into the module
#           cache; nothing is fetched at test time (builds run with GOPROXY=off)
#   Maven Central: Apache Kafka 4.4.0, the broker run.py compares klamm with
#           (tests/lab/install-kafka.sh)
# Then builds the Go client programs (clients/go/build.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export DEBIAN_FRONTEND=noninteractive
# The machine's Go first: the go.mod files are written for it.
[ -x /usr/local/go/bin/go ] && export PATH="/usr/local/go/bin:$PATH"
export GOTOOLCHAIN=local

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
python3 -m pip install "${pip_quiet[@]}" -r "$here/clients/python/requirements.txt"

# Native codecs build from source: no prebuilt binaries are fetched. The
# lock file's hash, stamped into node_modules, skips a second `npm ci`.
kafkajs="$here/clients/kafkajs"
lock_hash="$(sha256sum "$kafkajs/package-lock.json" | cut -d' ' -f1)"
if [ "$(cat "$kafkajs/node_modules/.klamm-lock.sha256" 2>/dev/null)" != "$lock_hash" ]; then
    (cd "$kafkajs" && npm_config_build_from_source=true npm ci --silent --no-audit --no-fund >/dev/null)
    echo "$lock_hash" >"$kafkajs/node_modules/.klamm-lock.sha256"
fi

for module in "$here/clients/go" "$here/seeds"; do
    (cd "$module" && GOFLAGS=-mod=readonly go mod download)
done

"$root/tests/lab/install-kafka.sh" >/dev/null

"$here/clients/go/build.sh" "$root/target/interop/go" >/dev/null
echo "interop clients installed"
