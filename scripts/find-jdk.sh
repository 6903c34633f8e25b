#!/usr/bin/env bash
# Prints the home of a JDK >= 22 (the FFM API), or explains how to get one and exits 1.
# Order: $JAVA_HOME if it qualifies, then every JDK under /usr/lib/jvm, newest first.
set -euo pipefail
need=22

major_of() { # java home -> major version, or 0
  local v
  v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -1) || true
  [[ "$v" =~ ^[0-9]+$ ]] && echo "$v" || echo 0
}

candidates=()
[ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
for d in $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -rV); do candidates+=("${d%/}"); done

for h in "${candidates[@]}"; do
  [ -x "$h/bin/java" ] && [ -x "$h/bin/javac" ] || continue
  if [ "$(major_of "$h")" -ge "$need" ]; then echo "$h"; exit 0; fi
done

cat >&2 <<MSG
jvfio needs a JDK $need or newer (the Foreign Function & Memory API); none was found
(checked \$JAVA_HOME=${JAVA_HOME:-unset} and /usr/lib/jvm/*).
Debian bookworm packages stop at JDK 17. Get one of:
  - Eclipse Temurin 25: unpack the tarball under /usr/lib/jvm (e.g. /usr/lib/jvm/temurin-25-jdk-amd64)
  - any OpenJDK >= $need build, then: export JAVA_HOME=/path/to/jdk
MSG
exit 1
