#!/usr/bin/env bash
# Which of the starter's classes load before the application has started, and what made
# the JVM load each (bench/StartupClasses.java): starts bench/startup-app with the starter
# under a JFR recording of class loads with their stacks, and both jars with class loading
# logged, to count the other classes only the starter's side loads. Each class looked up in
# a jar walks the class path up to that jar, which is most of the starter's startup cost in
# the executable jar (see bench/README.md), so this is the list a change should shorten.
#
#   bench/startup-classes.sh                     # Tomcat, executable jar
#   LAYOUT=extracted FRAMES=6 bench/startup-classes.sh
#   SERVER_OPTS=--spring.main.web-application-type=reactive bench/startup-classes.sh
#
# Settings (environment), defaults in brackets: LAYOUT [jar] (jar or extracted), FRAMES [3]
# (frames outside the JDK shown per class), SERVER_JVM [-Xms512m -Xmx512m], JAVA [java],
# SERVER_OPTS [], SKIP_BUILD [unset].
# Output: bench/target/startup-classes/<timestamp>/{classes.txt,others.txt,*.log,with.jfr}
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh

LAYOUT=${LAYOUT:-jar}
FRAMES=${FRAMES:-3}
SERVER_JVM=${SERVER_JVM:-"-Xms512m -Xmx512m"}
JAVA=${JAVA:-java}
SERVER_OPTS=${SERVER_OPTS:-}
JARS=bench/startup-app/target
START_TIMEOUT=90
OUT=bench/target/startup-classes/$(date -u +%Y%m%dT%H%M%SZ)

die() { echo "startup-classes: $*" >&2; exit 2; }
startup_bench_prepare

cat >"$OUT/class-loads.jfc" <<'JFC'
<?xml version="1.0" encoding="UTF-8"?>
<configuration version="2.0">
  <event name="jdk.ClassLoad">
    <setting name="enabled">true</setting>
    <setting name="stackTrace">true</setting>
    <setting name="threshold">0 ms</setting>
  </event>
</configuration>
JFC
dump_recording() { jcmd "$1" JFR.dump name=classes filename="$PWD/$OUT/with.jfr" >/dev/null || die "JFR.dump failed"; }

for side in without with; do
	jar=$(startup_bench_jar "$side")
	# shellcheck disable=SC2086
	start_until_started "$OUT/$side.log" "$side" "$JAVA" $SERVER_JVM -Xlog:class+load:file="$OUT/$side.classes" \
		-jar "$jar" $SERVER_OPTS --server.address=127.0.0.1 --server.port=0
	if [ "$side" = with ]; then
		# A start of its own: JFR's own classes would count as loaded only with the starter.
		# shellcheck disable=SC2086
		ON_STARTED=dump_recording start_until_started "$OUT/with-jfr.log" "with (recorded)" "$JAVA" $SERVER_JVM \
			-XX:StartFlightRecording=name=classes,settings="$PWD/$OUT/class-loads.jfc" \
			-XX:FlightRecorderOptions:stackdepth=256 -jar "$jar" $SERVER_OPTS \
			--server.address=127.0.0.1 --server.port=0
	fi
done

"$JAVA" bench/StartupClasses.java "$OUT/with.jfr" dev.graceful.shutdown. "$FRAMES" >"$OUT/classes.txt" \
	|| die "could not read $OUT/with.jfr"
# Classes outside the starter that only its side loads (lambdas, proxies and generated
# accessors and hidden classes are numbered differently in each run: left out).
names() { sed -E 's/^\[[^]]*\]\[[^]]*\]\[[^]]*\] //; s/ source.*//' "$1" | grep -v -e '\$\$Lambda' -e '\$Proxy' \
	-e 'Generated[A-Za-z]*Accessor' -e '/0x' -e '^dev\.graceful\.shutdown\.' | sort -u; }
comm -13 <(names "$OUT/without.classes") <(names "$OUT/with.classes") >"$OUT/others.txt"

echo "The starter's classes loaded up to started ($LAYOUT layout; list and causes: $OUT/classes.txt)"
sed -n '/^$/,$p' "$OUT/classes.txt" | tail -n +2
echo "$(wc -l <"$OUT/others.txt") classes outside the starter are loaded only with it ($OUT/others.txt)"
