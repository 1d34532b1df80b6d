#!/bin/sh
# Builds klamm's Go interop client programs (confluent, sarama, kafkago) into
# the directory $1 (default: <repo>/target/interop/go), in GOPATH mode against
# Debian's library sources in /usr/share/gocode, with a private GOPATH and
# build cache under that directory. No network is used. The programs import
# their shared package harness/ as klamm-interop/harness, which is where it is
# copied in that GOPATH.
#
# Needs: go on PATH; Debian packages golang-github-confluentinc-confluent-kafka-go-dev,
# golang-github-shopify-sarama-dev, golang-github-segmentio-kafka-go-dev (they
# pull in librdkafka-dev, libzstd-dev and pkg-config) and gcc + libc6-dev for cgo.
#
# Idempotent. Prints only the paths of the built programs; on failure, the
# build output and a non-zero exit.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../.." && pwd)
out=${1:-$root/target/interop/go}
mkdir -p "$out"
out=$(cd "$out" && pwd)

gopath=$out/gopath
src=$gopath/src/klamm-interop
mkdir -p "$src" "$gopath/cache"

export GO111MODULE=off
export GOPATH="$gopath:/usr/share/gocode"
export GOCACHE="$gopath/cache"
export GOFLAGS=
export GOPROXY=off
export GOTOOLCHAIN=local
export CGO_ENABLED=1

log=$out/build.log
: >"$log"
# Fresh copies, so that a file removed here does not linger in the GOPATH.
for pkg in harness confluent sarama kafkago; do
    rm -rf "$src/$pkg"
    mkdir -p "$src/$pkg"
    cp "$here/$pkg"/*.go "$src/$pkg/"
done
for name in confluent sarama kafkago; do
    if ! (cd "$src/$name" && go build -o "$out/$name" .) >>"$log" 2>&1; then
        echo "build.sh: building $name failed:" >&2
        cat "$log" >&2
        exit 1
    fi
    echo "$out/$name"
done
