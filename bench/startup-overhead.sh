#!/usr/bin/env bash
# Startup overhead: time from JVM start to ready, with the starter vs plain Spring Boot.
#
# For each server (Tomcat, Reactor Netty) and each round: start the sample jar on a free
# 127.0.0.1 port with the starter (graceful.shutdown.enabled=true) and, alternately (ABBA: odd
# rounds starter first, even rounds plain first), without it (graceful.shutdown.enabled=false,
# plain Spring Boot), so that the noise of a shared machine hits both sides equally. One
# instance at a time; each is killed (SIGKILL) once ready. Two figures per start:
#   - "Started": the JVM uptime Spring Boot logs in "Started ... (process running for X)";
#     read from the log, so no polling noise;
#   - "ready 200": wall time from launching java to the first 200 from
#     /actuator/health/readiness (polled every POLL_MS, which bounds its resolution).
# One start per side before the rounds warms the page cache and is not counted.
# Prints a Markdown table of the rounds, the medians and the ratios starter/plain (target:
# at most 2 % slower, ratio <= 1.02); exits 2 if the harness failed.
#
#   bench/startup-overhead.sh                        # both servers, 5 rounds
#   SERVERS=tomcat ROUNDS=9 bench/startup-overhead.sh
#   MAX_LOAD=1.5 bench/startup-overhead.sh           # on a shared machine: wait for a quiet moment
#
# Settings (environment), defaults in brackets:
#   SERVERS [tomcat netty]  ROUNDS [5]  POLL_MS [20]  SERVER_JVM [-Xms512m -Xmx512m]
#   JAVA [java]  TOMCAT_OPTS []  NETTY_OPTS [--spring.main.web-application-type=reactive]
#   MAX_LOAD [unset] and LOAD_WAIT [300]: before each round wait, at most LOAD_WAIT seconds,
#   until the 1-minute load average is at most MAX_LOAD.
# Logs: bench/target/startup-overhead/<timestamp>/<server>-<side>-<round>.log
set -euo pipefail
cd "$(dirname "$0")/.."
# now_ms, load_avg, median, wait_for_quiet
. bench/common.sh

SERVERS=${SERVERS:-"tomcat netty"}
ROUNDS=${ROUNDS:-5}
POLL_MS=${POLL_MS:-20}
SERVER_JVM=${SERVER_JVM:-"-Xms512m -Xmx512m"}
JAVA=${JAVA:-java}
TOMCAT_OPTS=${TOMCAT_OPTS:-}
NETTY_OPTS=${NETTY_OPTS:-"--spring.main.web-application-type=reactive"}
MAX_LOAD=${MAX_LOAD:-}
LOAD_WAIT=${LOAD_WAIT:-300}
JAR=sample-app/target/graceful-shutdown-sample-app.jar
START_TIMEOUT=90

OUT=bench/target/startup-overhead/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"

die() { echo "startup-overhead: $*" >&2; exit 2; }
command -v curl >/dev/null || die "curl not found"
build_jar_if_missing

# Everything started here is stopped on exit, whatever the exit path.
server_pid=""
cleanup() { [ -z "$server_pid" ] || kill -KILL "$server_pid" 2>/dev/null || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM

ratio() { awk -v s="$1" -v p="$2" 'BEGIN { printf "%.3f", s / p }'; }
poll_s=$(awk -v m="$POLL_MS" 'BEGIN { printf "%.3f", m / 1000 }')

# start_once <server> <side> <label> -> prints "<started_ms> <ready_ms>"
start_once() {
	local server=$1 side=$2 label=$3 enabled log
	log=$OUT/$server-$side-$label.log
	[ "$side" = starter ] && enabled=true || enabled=false
	local -a cmd
	# shellcheck disable=SC2206
	case $server in
	tomcat) cmd=("$JAVA" $SERVER_JVM -jar "$JAR" $TOMCAT_OPTS) ;;
	netty) cmd=("$JAVA" $SERVER_JVM -jar "$JAR" $NETTY_OPTS) ;;
	*) die "unknown server '$server' (tomcat or netty)" ;;
	esac
	cmd+=(--server.address=127.0.0.1 --server.port=0 "--graceful.shutdown.enabled=$enabled"
		"--graceful.shutdown.report.file=$PWD/$OUT/report.json")
	local launch_ms
	launch_ms=$(now_ms)
	"${cmd[@]}" >"$log" 2>&1 &
	server_pid=$!
	local deadline=$(( launch_ms + START_TIMEOUT * 1000 ))
	wait_for_port "$server_pid" "$log" "$server $side" "$poll_s" "$deadline"
	local port=$started_port
	until curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$port/actuator/health/readiness"; do
		kill -0 "$server_pid" 2>/dev/null || { tail -20 "$log" >&2; die "$server $side died before ready"; }
		[ "$(now_ms)" -lt "$deadline" ] || die "$server $side not ready within ${START_TIMEOUT}s"
		sleep "$poll_s"
	done
	local ready_ms=$(( $(now_ms) - launch_ms ))
	kill -KILL "$server_pid" 2>/dev/null || true
	wait "$server_pid" 2>/dev/null || true
	server_pid=""
	local started
	started=$(grep -oP -m1 'Started \S+ in [0-9.]+ seconds \(process running for \K[0-9.]+' "$log" || true)
	[ -n "$started" ] || die "no 'Started ... process running for' line in $log"
	echo "$(awk -v s="$started" 'BEGIN { printf "%d", s * 1000 }') $ready_ms"
}

rows=()
summary=()
for server in $SERVERS; do
	echo "== $server: warm-up start per side (not counted)" >&2
	start_once "$server" starter warmup >/dev/null
	start_once "$server" plain warmup >/dev/null
	s_started=() s_ready=() p_started=() p_ready=()
	for round in $(seq 1 "$ROUNDS"); do
		wait_for_quiet
		if (( round % 2 )); then order="starter plain"; else order="plain starter"; fi
		load=$(load_avg)
		for side in $order; do
			read -r started ready < <(start_once "$server" "$side" "$round")
			if [ "$side" = starter ]; then s_started+=("$started"); s_ready+=("$ready"); else p_started+=("$started"); p_ready+=("$ready"); fi
			echo "   $server round $round $side: Started at JVM uptime $started ms, ready 200 after $ready ms (load $(load_avg))" >&2
		done
		rows+=("| $server | $round | ${order/ /, } | ${s_started[-1]} | ${p_started[-1]} | $(ratio "${s_started[-1]}" "${p_started[-1]}") | ${s_ready[-1]} | ${p_ready[-1]} | $(ratio "${s_ready[-1]}" "${p_ready[-1]}") | $load |")
	done
	mss=$(printf '%s\n' "${s_started[@]}" | median)
	mps=$(printf '%s\n' "${p_started[@]}" | median)
	msr=$(printf '%s\n' "${s_ready[@]}" | median)
	mpr=$(printf '%s\n' "${p_ready[@]}" | median)
	# Median of per-round ratios: each round's pair ran back to back.
	rs=$(for i in "${!s_started[@]}"; do ratio "${s_started[$i]}" "${p_started[$i]}"; echo; done | median)
	rr=$(for i in "${!s_ready[@]}"; do ratio "${s_ready[$i]}" "${p_ready[$i]}"; echo; done | median)
	summary+=("| $server | $mss | $mps | $(ratio "$mss" "$mps") ($rs) | $msr | $mpr | $(ratio "$msr" "$mpr") ($rr) |")
done

echo
echo "JVM start to ready, $ROUNDS rounds per side alternating (ABBA), readiness polled every $POLL_MS ms, $(nproc) CPUs, JVM $SERVER_JVM (logs: $OUT)"
echo
echo "| server | round | order | starter Started (ms) | plain Started (ms) | ratio | starter ready 200 (ms) | plain ready 200 (ms) | ratio | load avg |"
echo "|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "| server | median starter Started (ms) | median plain Started (ms) | ratio of medians (median of ratios) | median starter ready 200 (ms) | median plain ready 200 (ms) | ratio of medians (median of ratios) |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${summary[@]}"
echo
echo "Target: starter/plain <= 1.02."
