#!/usr/bin/env bash
# Installs Apache Kafka for the lab: the jars of tests/lab/kafka/pom.xml and
# their dependencies from Maven Central into target/lab/kafka/libs (Maven's
# own cache, ~/.m2, keeps the downloads between checkouts). Idempotent: a
# second run with the same pom does nothing. Prints the libs directory.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
libs="$root/target/lab/kafka/libs"
stamp="$libs/.pom.sha256"
want="$(sha256sum "$here/kafka/pom.xml" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "$libs"
    exit 0
fi
rm -rf "$libs"
mkdir -p "$libs"
mvn -q -B -f "$here/kafka/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$libs" -DincludeScope=runtime >&2
echo "$want" >"$stamp"
echo "$libs"
