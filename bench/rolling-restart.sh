#!/usr/bin/env bash
# Rolling restart: failed requests with the starter vs plain Spring Boot, behind a real HAProxy.
#
# Runs the sample application's RollingRestartIT with more rounds: two sample instances on
# 127.0.0.1 behind HAProxy (health check on readiness every 500 ms, retries 0), 12 keep-alive
# workers sending GET /work?ms=0..10 and 4 sending GET /work?ms=2500..5000, never retrying; each
# instance in turn gets SIGTERM, exits, is started again and rejoins. For each round, server
# (Tomcat, Jetty, Reactor Netty) and HAProxy mode (http, tcp) it rolls out the starter
# (graceful.shutdown.delay=3s) and then plain Spring Boot 4.1.1 (graceful.shutdown.enabled=false),
# so that the machine's noise hits both sides alike. A failure is any non-2xx, I/O error or
# connection closed without a response.
# Prints every rollout, then a Markdown table of failed / sent per side and the failure rates,
# then the charts: for each server and mode, round 1's starter rollout above plain Spring Boot's
# (requests completed and failed per second, SIGTERM / exit / back UP markers; drawn by
# bench/RolloutChart.java from the CSV files RollingRestartIT writes per rollout). Exits 1 if
# the starter lost a request, plain Spring Boot lost none (the control) or a rollout went wrong;
# 2 if the harness failed.
#
#   bench/rolling-restart.sh                        # 3 rounds x 2 servers x 2 modes x 2 sides
#   ROUNDS=1 SERVERS=tomcat MODES=http bench/rolling-restart.sh
#   ROUNDS=1 SERVERS=tomcat MODES=http CHART_TO=docs bench/rolling-restart.sh   # the README's chart
#
# Settings (environment), defaults in brackets:
#   ROUNDS [3]  SERVERS [tomcat jetty netty]  MODES [http tcp]
#   CHART_TO [unset]  a directory to copy the Tomcat / HAProxy http chart to, as rolling-restart.svg
# Each rollout takes about 30 s. Needs haproxy (scripts/test-all.sh installs it) and builds the
# project (offline, from the local Maven repository) first.
# Output in bench/target/rolling-restart/<timestamp>/: maven.log, every rollout's CSV
# (<side>-<server>-<mode>-r<round>.csv) and rolling-restart-<server>-<mode>.svg; the
# instances' and HAProxy's logs are in the directory printed at the end of each rollout.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
SERVERS=${SERVERS:-"tomcat jetty netty"}
MODES=${MODES:-"http tcp"}
CHART_TO=${CHART_TO:-}
ROLLOUTS=sample-app/target/rollouts

OUT=bench/target/rolling-restart/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"

die() { echo "rolling-restart: $*" >&2; exit 2; }
command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] \
	|| die "haproxy not found (apt-get install -y haproxy, or run scripts/test-all.sh once)"

# Only this run's CSV files, so that no chart shows an earlier run.
rm -rf "$ROLLOUTS"
echo "Running RollingRestartIT: $ROUNDS round(s) x servers [$SERVERS] x modes [$MODES] x (starter, plain); log: $OUT/maven.log" >&2
maven_rc=0
mvn -B -o -ntp verify -pl sample-app -am \
	-Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false \
	-Dit.test=RollingRestartIT -Dfailsafe.failIfNoSpecifiedTests=false \
	"-Drollout.rounds=$ROUNDS" "-Drollout.servers=${SERVERS// /,}" "-Drollout.modes=${MODES// /,}" \
	>"$OUT/maven.log" 2>&1 || maven_rc=$?

grep -q '^ROLLOUT-TOTAL' "$OUT/maven.log" || { tail -40 "$OUT/maven.log" >&2; die "no rollout was measured"; }

echo
grep '^ROLLOUT ' "$OUT/maven.log" | sed 's/^ROLLOUT //'
echo
echo "Rolling restart, $ROUNDS round(s), $(nproc) CPUs, $(java -version 2>&1 | head -1)"
echo
echo "| server | HAProxy mode | starter: failed / sent | plain: failed / sent | starter failures per 10 000 | plain failures per 10 000 |"
echo "|---|---|---|---|---|---|"
grep '^ROLLOUT-TOTAL' "$OUT/maven.log" | tail -n +2 | awk '
	function rate(failed, sent) { return (sent > 0) ? sprintf("%.1f", failed * 10000 / sent) : "-" }
	{
		# ROLLOUT-TOTAL server mode sf / ss pf / ps
		printf "| %s | %s | %s / %s | %s / %s | %s | %s |\n", $2, $3, $4, $6, $7, $9, rate($4, $6), rate($7, $9)
	}'
echo
cp "$ROLLOUTS"/*.csv "$OUT"/ 2>/dev/null || true
for server in $SERVERS; do
	for mode in $MODES; do
		starter=$OUT/starter-$server-$mode-r1.csv plain=$OUT/plain-$server-$mode-r1.csv
		if [ ! -f "$starter" ] || [ ! -f "$plain" ]; then
			echo "No chart for $server / $mode: round 1 did not finish both rollouts" >&2
			continue
		fi
		chart=$OUT/rolling-restart-$server-$mode.svg
		java bench/RolloutChart.java "$chart" "$starter" "$plain" \
			"Rolling restart of two instances behind HAProxy, keep-alive clients that never retry" \
			|| die "could not draw $chart"
		echo "Chart: $chart"
		if [ -n "$CHART_TO" ] && [ "$server" = tomcat ] && [ "$mode" = http ]; then
			mkdir -p "$CHART_TO"
			cp "$chart" "$CHART_TO/rolling-restart.svg"
			echo "Chart: $CHART_TO/rolling-restart.svg"
		fi
	done
done
echo
if [ "$maven_rc" != 0 ]; then
	echo "RollingRestartIT failed (exit $maven_rc): see $OUT/maven.log" >&2
	exit 1
fi
