#!/usr/bin/env bash
# Builds klamm's Java interop programs (pom.xml: kafka-clients, kafka-streams
# and kafka-tools 4.4.0 from Maven Central, Java 17) into $1 (default
# <repo>/target/interop/java):
#   klamm-interop.jar  the programs; its manifest names every jar in lib/
#   lib/               kafka-clients, kafka-streams, kafka-tools and their
#                      dependencies (the tools driver runs Kafka's tools
#                      from here)
# so that each program runs as `java -cp <out>/klamm-interop.jar <main class>`
# and nothing is fetched at run time.
#
# Maven fetches into its own cache (~/.m2), so a cold build downloads once
# per machine. Idempotent and cached: when pom.xml, the sources and this
# script are unchanged since the last successful build, it does nothing.
# Prints the output directory; on failure, Maven's output and a non-zero exit.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
out="${1:-$root/target/interop/java}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
stamp="$out/.inputs.sha256"

want="$(cd "$here" && find pom.xml build.sh src -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -f "$out/klamm-interop.jar" ]; then
    echo "$out"
    exit 0
fi
rm -rf "$out/lib" "$out/maven" "$out/klamm-interop.jar" "$stamp"
log="$out/build.log"
if ! mvn -q -B -f "$here/pom.xml" -Dinterop.out="$out" package >"$log" 2>&1; then
    echo "build.sh: mvn package failed:" >&2
    cat "$log" >&2
    exit 1
fi
rm -rf "$out/maven"
echo "$want" >"$stamp"
echo "$out"
