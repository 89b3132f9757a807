#!/usr/bin/env bash
# Where the main thread spends its time in the starter's code before the application has
# started (bench/StartupSamples.java): STARTS starts of bench/startup-app with the starter,
# each under a JFR recording that samples the threads every millisecond, read together: the
# main thread's samples, the share with a frame of the starter on the stack, and those by the
# outermost such frame with the calls under it. The application waits for Spring Boot's
# background preinitialization once prepared (-Dbench.await-preinit=true), as
# startup-instructions.sh THREADS=main does, so that the main thread finds the starter's
# classes loaded. The instructions benchmark says how much the starter costs; this says where.
#
#   bench/startup-samples.sh                     # Tomcat, executable jar, 4 starts
#   STARTS=8 SERVER_OPTS=--spring.main.web-application-type=reactive bench/startup-samples.sh
#
# Settings (environment), defaults in brackets: STARTS [4], LAYOUT [jar] (jar or extracted),
# SERVER_JVM [-Xms512m -Xmx512m], JAVA [java], SERVER_OPTS [], SKIP_BUILD [unset].
# Output: bench/target/startup-samples/<timestamp>/{samples.txt,with-<n>.jfr,with-<n>.log}
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh

STARTS=${STARTS:-4}
LAYOUT=${LAYOUT:-jar}
SERVER_JVM=${SERVER_JVM:-"-Xms512m -Xmx512m"}
JAVA=${JAVA:-java}
SERVER_OPTS=${SERVER_OPTS:-}
JARS=bench/startup-app/target
START_TIMEOUT=90
OUT=bench/target/startup-samples/$(date -u +%Y%m%dT%H%M%SZ)

die() { echo "startup-samples: $*" >&2; exit 2; }
case $STARTS in '' | *[!0-9]* | 0) die "STARTS must be a positive number, not '$STARTS'" ;; esac
case $LAYOUT in jar | extracted) ;; *) die "LAYOUT must be jar or extracted, not '$LAYOUT'" ;; esac
startup_bench_prepare

cat >"$OUT/samples.jfc" <<'JFC'
<?xml version="1.0" encoding="UTF-8"?>
<configuration version="2.0">
  <event name="jdk.ExecutionSample">
    <setting name="enabled">true</setting>
    <setting name="period">1 ms</setting>
  </event>
</configuration>
JFC
recording=""
dump_recording() { jcmd "$1" JFR.dump name=samples filename="$PWD/$recording" >/dev/null || die "JFR.dump failed"; }

jar=$(startup_bench_jar with)
for n in $(seq 1 "$STARTS"); do
	recording=$OUT/with-$n.jfr
	# shellcheck disable=SC2086
	ON_STARTED=dump_recording start_until_started "$OUT/with-$n.log" "start $n" "$JAVA" $SERVER_JVM \
		-XX:StartFlightRecording=name=samples,settings="$PWD/$OUT/samples.jfc" \
		-XX:FlightRecorderOptions:stackdepth=512 -Dbench.await-preinit=true -jar "$jar" $SERVER_OPTS \
		--server.address=127.0.0.1 --server.port=0
done

"$JAVA" bench/StartupSamples.java dev.graceful.shutdown. "$OUT"/with-*.jfr >"$OUT/samples.txt" \
	|| die "could not read the recordings in $OUT"
echo "The starter's code on the main thread up to started, $STARTS starts ($LAYOUT layout; $OUT/samples.txt)"
cat "$OUT/samples.txt"
