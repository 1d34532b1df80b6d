#!/bin/sh
# Builds klamm's Go interop client programs into the directory $1 (default:
# <repo>/target/interop/go), twice where the library's API allows it:
#
#   confluent, sarama, kafkago, franz: module mode (go.mod, go.sum here),
#     against today's libraries from the module proxy; the modules must be in
#     the module cache already (install.sh runs `go mod download`): the build
#     runs with GOPROXY=off and fetches nothing.
#   confluent-old, sarama-old, kafkago-old: the same sources, built in GOPATH
#     mode with the tag klamm_debian against Debian's old libraries in
#     /usr/share/gocode (confluent-kafka-go 0.11.6, sarama 1.22.1, kafka-go
#     0.2.1). The programs import the new paths; a private GOPATH entry maps
#     them to Debian's sources (github.com/IBM/sarama -> Shopify/sarama,
#     confluent-kafka-go/v2/kafka -> confluent-kafka-go/kafka), and the
#     programs' shared package is copied there as klamm-interop/harness, the
#     path it has in the module.
#
# Needs: Go, gcc + libc6-dev for cgo, and the Debian packages
# golang-github-confluentinc-confluent-kafka-go-dev,
# golang-github-shopify-sarama-dev, golang-github-segmentio-kafka-go-dev
# (they pull in librdkafka-dev, libzstd-dev and pkg-config).
#
# Idempotent. Prints only the paths of the built programs; on failure, the
# build output and a non-zero exit.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../.." && pwd)
out=${1:-$root/target/interop/go}
mkdir -p "$out"
out=$(cd "$out" && pwd)

export GOTOOLCHAIN=local
export GOPROXY=off
export GOFLAGS="-mod=readonly -buildvcs=false"
export CGO_ENABLED=1
log=$out/build.log
: >"$log"

fail() {
    echo "build.sh: building $1 failed:" >&2
    cat "$log" >&2
    exit 1
}

for name in confluent sarama kafkago franz; do
    (cd "$here" && go build -o "$out/$name" "./$name") >>"$log" 2>&1 || fail "$name"
    echo "$out/$name"
done

debian=/usr/share/gocode/src/github.com
gopath=$out/gopath
src=$gopath/src
mkdir -p "$gopath/cache" "$src/github.com/IBM" "$src/github.com/confluentinc/confluent-kafka-go/v2"
ln -sfn "$debian/Shopify/sarama" "$src/github.com/IBM/sarama"
ln -sfn "$debian/confluentinc/confluent-kafka-go/kafka" "$src/github.com/confluentinc/confluent-kafka-go/v2/kafka"
# Fresh copies, so that a file removed here does not linger in the GOPATH.
for pkg in harness confluent sarama kafkago; do
    rm -rf "$src/klamm-interop/$pkg"
    mkdir -p "$src/klamm-interop/$pkg"
    cp "$here/$pkg"/*.go "$src/klamm-interop/$pkg/"
done
for name in confluent sarama kafkago; do
    (cd "$src/klamm-interop/$name" &&
        GO111MODULE=off GOPATH="$gopath:/usr/share/gocode" GOCACHE="$gopath/cache" GOFLAGS= \
            go build -tags klamm_debian -o "$out/$name-old" .) >>"$log" 2>&1 || fail "$name-old"
    echo "$out/$name-old"
done
