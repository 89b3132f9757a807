#!/usr/bin/env bash
# Where the starter's startup cost goes: starts bench/startup-app once without the starter
# and once with it, each with -Dbench.startup-allocation=true (the bytes the main thread
# allocated in each of Spring's startup steps, less the steps inside it), and prints the
# steps whose allocation differs most between the two, then the totals. Steps of the
# starter's own beans exist only on the "with" side.
#
#   bench/startup-allocation.sh                  # Tomcat, executable jar
#   LAYOUT=extracted TOP=60 bench/startup-allocation.sh
#   SERVER_OPTS=--spring.main.web-application-type=reactive bench/startup-allocation.sh
#
# Settings (environment), defaults in brackets: LAYOUT [jar] (jar or extracted, as in
# startup-overhead.sh), TOP [40], SERVER_JVM [-Xms512m -Xmx512m], JAVA [java],
# SERVER_OPTS [], SKIP_BUILD [unset], JIT [c1]. With JIT=c1 the JVM compiles with C1 only
# (-XX:TieredStopAtLevel=1): C2's escape analysis removes allocations depending on when it
# compiles a method, which moves a start's total by up to 3 MB; without it the same jar
# allocates the same bytes to within 0.1 MB, so a change of one class shows. JIT=default
# keeps both compilers, as startup-overhead.sh does.
# Logs: bench/target/startup-allocation/<timestamp>/{with,without}.log
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh

LAYOUT=${LAYOUT:-jar}
TOP=${TOP:-40}
SERVER_JVM=${SERVER_JVM:-"-Xms512m -Xmx512m"}
JAVA=${JAVA:-java}
SERVER_OPTS=${SERVER_OPTS:-}
JIT=${JIT:-c1}
case "$JIT" in
	c1) JIT_OPTS="-XX:TieredStopAtLevel=1" ;;
	default) JIT_OPTS="" ;;
	*) echo "startup-allocation: JIT must be c1 or default, not '$JIT'" >&2; exit 2 ;;
esac
JARS=bench/startup-app/target
START_TIMEOUT=90
OUT=bench/target/startup-allocation/$(date -u +%Y%m%dT%H%M%SZ)

die() { echo "startup-allocation: $*" >&2; exit 2; }
startup_bench_prepare

for side in without with; do
	jar=$(startup_bench_jar "$side")
	# shellcheck disable=SC2086
	start_until_started "$OUT/$side.log" "$side" "$JAVA" $SERVER_JVM $JIT_OPTS -Dbench.startup-allocation=true -jar "$jar" \
		$SERVER_OPTS --server.address=127.0.0.1 --server.port=0
done

echo "Main thread's allocation per startup step ($LAYOUT layout, JIT $JIT), in KB: with - without, without, with (logs: $OUT)"
awk -v top="$TOP" '
	FNR == 1 { side++ }
	/^ALLOC / && !/\(all steps\)/ {
		key = $4; for (i = 5; i <= NF; i++) key = key " " $i
		bytes[side, key] += $2; keys[key] = 1
	}
	/main thread allocated/ { match($0, /main thread allocated [0-9]+/); total[side] = substr($0, RSTART + 22, RLENGTH - 22) }
	END {
		for (key in keys) printf "%10.0f %10.0f %10.0f  %s\n", (bytes[2, key] - bytes[1, key]) / 1024, bytes[1, key] / 1024, bytes[2, key] / 1024, key
		printf "TOTAL %s %s\n", total[1], total[2] > "/dev/stderr"
	}' "$OUT/without.log" "$OUT/with.log" 2>"$OUT/totals" | sort -k1,1nr | head -n "$TOP" || true # head may close the pipe before sort is done
read -r _ without with <"$OUT/totals"
awk -v a="$without" -v b="$with" 'BEGIN { printf "Main thread allocated up to started: without %d KB, with %d KB, ratio %.3f\n", a, b, b / a }'
