#!/usr/bin/env bash
# Shutdown timeline: one shutdown of the sample application with work in flight, drawn.
#
# Starts the sample jar (Tomcat, the sample's application.yml: delay 2s, tasks.timeout 10s,
# cleanup.timeout 5s, timeout 30s) on a free 127.0.0.1 port with graceful.shutdown.report.file
# in the output directory, starts some work (GET /work?ms=3000 in flight, GET /async?ms=1500 for
# the @Async executor, GET /import?items=40 for a WorkTracker unit of 4 s, GET /jobs?count=5&ms=1500
# for the sample's JobConsumer, a shutdown participant, with two jobs running), sends SIGTERM and
# waits for the exit; then bench/TimelineChart.java draws the report the starter wrote: one bar
# per phase at its start offset, coloured by outcome, the budget and the end.
# Prints the report and the chart's path; exits 1 if the in-flight request did not get a 200 or
# the process did not exit with 143, 2 if the harness failed.
#
#   bench/shutdown-timeline.sh
#   CHART_TO=docs bench/shutdown-timeline.sh        # also docs/shutdown-timeline.svg for the README
#
# Settings (environment), defaults in brackets:
#   WORK_MS [3000]  ASYNC_MS [1500]  IMPORT_ITEMS [40]  JOBS [5]  JOB_MS [1500]  JAVA [java]
#   CHART_TO [unset]  a directory to copy the chart to, as shutdown-timeline.svg
# Output in bench/target/shutdown-timeline/<timestamp>/: app.log, report.json,
# shutdown-timeline.svg.
set -euo pipefail
cd "$(dirname "$0")/.."
# build_jar_if_missing, wait_for_port, now_ms
. bench/common.sh

WORK_MS=${WORK_MS:-3000}
ASYNC_MS=${ASYNC_MS:-1500}
IMPORT_ITEMS=${IMPORT_ITEMS:-40}
JOBS=${JOBS:-5}
JOB_MS=${JOB_MS:-1500}
JAVA=${JAVA:-java}
CHART_TO=${CHART_TO:-}
JAR=sample-app/target/graceful-shutdown-sample-app.jar
START_TIMEOUT=90
EXIT_TIMEOUT=60

OUT=bench/target/shutdown-timeline/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"

die() { echo "shutdown-timeline: $*" >&2; exit 2; }
command -v curl >/dev/null || die "curl not found"
build_jar_if_missing

# Everything started here is stopped on exit, whatever the exit path.
server_pid=""
curl_pid=""
watchdog_pid=""
cleanup() {
	[ -z "$watchdog_pid" ] || kill "$watchdog_pid" 2>/dev/null || true
	[ -z "$curl_pid" ] || kill "$curl_pid" 2>/dev/null || true
	[ -z "$server_pid" ] || kill -KILL "$server_pid" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log=$OUT/app.log
report=$OUT/report.json
"$JAVA" -jar "$JAR" --server.address=127.0.0.1 --server.port=0 "--graceful.shutdown.report.file=$PWD/$report" \
	>"$log" 2>&1 &
server_pid=$!
wait_for_port "$server_pid" "$log" "the sample application"
port=$started_port
echo "Sample application on 127.0.0.1:$port (pid $server_pid), log $log" >&2

( curl -s --max-time $(( WORK_MS / 1000 + 60 )) -o /dev/null -w '%{http_code}\n' \
	"http://127.0.0.1:$port/work?ms=$WORK_MS" >"$OUT/work.status" || true ) &
curl_pid=$!
curl -sf --max-time 10 "http://127.0.0.1:$port/async?ms=$ASYNC_MS" >/dev/null || die "GET /async failed"
curl -sf --max-time 10 "http://127.0.0.1:$port/import?items=$IMPORT_ITEMS" >/dev/null || die "GET /import failed"
curl -sf --max-time 10 "http://127.0.0.1:$port/jobs?count=$JOBS&ms=$JOB_MS" >/dev/null || die "GET /jobs failed"
# Let the /work request reach its controller before the signal.
sleep 0.3

server_rc=0
sigterm_ms=$(now_ms)
kill -TERM "$server_pid"
# wait returns as soon as the JVM exits; the watchdog bounds it.
( sleep "$EXIT_TIMEOUT"; kill -KILL "$server_pid" 2>/dev/null ) &
watchdog_pid=$!
wait "$server_pid" || server_rc=$?
exit_ms=$(now_ms)
server_pid=""
kill "$watchdog_pid" 2>/dev/null || true
wait "$watchdog_pid" 2>/dev/null || true
watchdog_pid=""
wait "$curl_pid" || true
curl_pid=""

[ -f "$report" ] || { tail -20 "$log" >&2; die "no report at $report"; }
echo "SIGTERM -> exit $(( exit_ms - sigterm_ms )) ms, exit code $server_rc, GET /work?ms=$WORK_MS: $(cat "$OUT/work.status")"
grep -h 'Graceful shutdown complete in' "$log" | sed 's/^.*Graceful/Graceful/' || true
cat "$report"
echo
chart=$OUT/shutdown-timeline.svg
java bench/TimelineChart.java "$report" "$chart" || die "could not draw $chart"
echo "Chart: $chart"
if [ -n "$CHART_TO" ]; then
	mkdir -p "$CHART_TO"
	cp "$chart" "$CHART_TO/shutdown-timeline.svg"
	echo "Chart: $CHART_TO/shutdown-timeline.svg"
fi
if [ "$(cat "$OUT/work.status")" != 200 ] || [ "$server_rc" != 143 ]; then
	echo "The in-flight request or the exit went wrong: see $log" >&2
	exit 1
fi
