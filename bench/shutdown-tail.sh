#!/usr/bin/env bash
# Shutdown tail: how long after the work that must be waited for does the process exit?
#
# For each configuration and each round: start the sample jar on a free 127.0.0.1 port with
# graceful.shutdown.delay=DELAY, warm it up with a few short requests, send one
# GET /work?ms=WORK_MS, wait SETTLE_MS so that it is in flight, then SIGTERM and wait for the
# process to exit. The work that must be waited for ends at max(SIGTERM + DELAY, the in-flight
# response's arrival at the client), so
#   raw tail      = exit - max(SIGTERM + DELAY, response received)
#   adjusted tail = raw tail - the cleanup step's duration from the summary line
#                   ("Graceful shutdown complete in ...: ..., cleanup N ms ...")
# The sample's MisbehavingCleanups hang past a 500 ms timeout on purpose, which adds about
# 500 ms to every shutdown of the sample; the adjusted tail takes it out. Configurations:
#   tomcat        Tomcat, starter on
#   netty         Reactor Netty, starter on (which makes Reactor Netty's event-loop quiet
#                 period 0 s by default)
#   tomcat-plain, netty-plain
#                 the same with graceful.shutdown.enabled=false (plain Spring Boot, which
#                 has no delay: its tail is exit - response received), for reference;
#                 netty-plain keeps Reactor Netty's 2 s quiet period
#   netty-q0-plain
#                 netty-plain with --spring.reactor.netty.shutdown-quiet-period=0s
# Prints a Markdown table of the rounds and of the medians (target: adjusted tail <= 100 ms);
# exits 1 if the in-flight request did not get a 200, 2 if the harness failed.
#
#   bench/shutdown-tail.sh                  # tomcat tomcat-plain netty netty-q0-plain, 5 rounds
#   CONFIGS="tomcat tomcat-plain" ROUNDS=9 bench/shutdown-tail.sh
#   MAX_LOAD=1.5 bench/shutdown-tail.sh                     # wait for a quiet moment first
#
# Settings (environment), defaults in brackets:
#   CONFIGS [tomcat tomcat-plain netty netty-q0-plain]  ROUNDS [5]  DELAY_MS [1000]  WORK_MS [2000]
#   SETTLE_MS [300]  WARMUPS [200]  SERVER_JVM [-Xms512m -Xmx512m]  JAVA [java]
#   MAX_LOAD [unset] and LOAD_WAIT [300]: before each round wait, at most LOAD_WAIT seconds,
#   until the 1-minute load average is at most MAX_LOAD.
# Configurations alternate within each round (round-robin), so the machine's noise hits all.
# Logs: bench/target/shutdown-tail/<timestamp>/<config>-<round>.log
set -euo pipefail
cd "$(dirname "$0")/.."
# now_ms, load_avg, median, wait_for_quiet
. bench/common.sh

CONFIGS=${CONFIGS:-"tomcat tomcat-plain netty netty-q0-plain"}
ROUNDS=${ROUNDS:-5}
DELAY_MS=${DELAY_MS:-1000}
WORK_MS=${WORK_MS:-2000}
SETTLE_MS=${SETTLE_MS:-300}
WARMUPS=${WARMUPS:-200}
SERVER_JVM=${SERVER_JVM:-"-Xms512m -Xmx512m"}
JAVA=${JAVA:-java}
MAX_LOAD=${MAX_LOAD:-}
LOAD_WAIT=${LOAD_WAIT:-300}
JAR=sample-app/target/graceful-shutdown-sample-app.jar
START_TIMEOUT=90
EXIT_TIMEOUT=60

OUT=bench/target/shutdown-tail/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"

die() { echo "shutdown-tail: $*" >&2; exit 2; }
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

rows=()
declare -A raw_tails=() adj_tails=() exits=() cleanups=()
any_failed=0

run_once() {
	local config=$1 round=$2
	local log=$OUT/$config-$round.log resp=$OUT/$config-$round.response
	local -a cmd=("$JAVA")
	# shellcheck disable=SC2206
	cmd+=($SERVER_JVM -jar "$JAR" --server.address=127.0.0.1 --server.port=0
		"--graceful.shutdown.report.file=$PWD/$OUT/report.json")
	local delay_ms=$DELAY_MS
	case $config in
	*-plain) cmd+=(--graceful.shutdown.enabled=false); delay_ms=0 ;;
	*) cmd+=("--graceful.shutdown.delay=${DELAY_MS}ms") ;;
	esac
	case ${config%-plain} in
	tomcat) ;;
	netty) cmd+=(--spring.main.web-application-type=reactive) ;;
	netty-q0)
		[ "$config" = netty-q0-plain ] || die "netty-q0 is only a plain configuration: the starter's default is already 0s"
		cmd+=(--spring.main.web-application-type=reactive --spring.reactor.netty.shutdown-quiet-period=0s) ;;
	*) die "unknown configuration '$config'" ;;
	esac

	"${cmd[@]}" >"$log" 2>&1 &
	server_pid=$!
	wait_for_port "$server_pid" "$log" "$config" 0.1
	local port=$started_port
	# Warm-up: one curl process, WARMUPS requests on one keep-alive connection.
	local urls=()
	for _ in $(seq 1 "$WARMUPS"); do urls+=("http://127.0.0.1:$port/work?ms=0"); done
	curl -sf --max-time 60 "${urls[@]}" >/dev/null || die "$config: warm-up failed"

	# The in-flight request: its status code, then the epoch ms at which curl returned.
	( code=$(curl -s --max-time $(( WORK_MS / 1000 + 30 )) -o /dev/null -w '%{http_code}' \
		"http://127.0.0.1:$port/work?ms=$WORK_MS" || true); echo "$code $(now_ms)" >"$resp" ) &
	curl_pid=$!
	sleep "$(awk -v m="$SETTLE_MS" 'BEGIN { printf "%.3f", m / 1000 }')"

	local load sigterm_ms exit_ms server_rc=0
	load=$(load_avg)
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

	local code response_ms
	read -r code response_ms <"$resp"
	[ "$code" = 200 ] || { echo "   $config round $round: in-flight request got '$code'" >&2; any_failed=1; }
	local response_after=$(( response_ms - sigterm_ms ))
	local waited=$(( delay_ms > response_after ? delay_ms : response_after ))
	local total=$(( exit_ms - sigterm_ms ))
	local raw=$(( total - waited ))
	local cleanup_ms adj summary_ms drain_ms
	cleanup_ms=$(grep -oP -m1 'Graceful shutdown complete in .*[:,] cleanup \K[0-9]+(?= ms)' "$log" || true)
	summary_ms=$(grep -oP -m1 'Graceful shutdown complete in \K[0-9]+' "$log" || true)
	drain_ms=$(grep -oP -m1 'Graceful shutdown complete in .*[:,] drain \K[0-9]+(?= ms)' "$log" || true)
	if [ -n "$cleanup_ms" ]; then adj=$(( raw - cleanup_ms )); else cleanup_ms="-"; adj=$raw; fi
	raw_tails[$config]+="$raw "
	adj_tails[$config]+="$adj "
	exits[$config]+="$total "
	cleanups[$config]+="${cleanup_ms/-/0} "
	echo "   $config round $round: SIGTERM -> exit $total ms (exit code $server_rc), response at +$response_after ms ($code), summary ${summary_ms:--} ms, drain ${drain_ms:--} ms, cleanup $cleanup_ms ms; raw tail $raw ms, adjusted $adj ms (load $load)" >&2
	rows+=("| $config | $round | $delay_ms | +$response_after | ${drain_ms:--} | $cleanup_ms | ${summary_ms:--} | $total | $raw | $adj | $server_rc | $load |")
}

for round in $(seq 1 "$ROUNDS"); do
	wait_for_quiet
	for config in $CONFIGS; do
		run_once "$config" "$round"
	done
done

echo
echo "SIGTERM with one GET /work?ms=$WORK_MS in flight (sent $SETTLE_MS ms before), graceful.shutdown.delay=${DELAY_MS}ms (plain: none), $ROUNDS rounds, $(nproc) CPUs, JVM $SERVER_JVM (logs: $OUT)"
echo "tail = exit - max(SIGTERM + delay, response received); adjusted = tail - cleanup step (the sample's deliberately hanging cleanup)"
echo
echo "| config | round | delay (ms) | response at SIGTERM+ (ms) | drain (ms) | cleanup (ms) | summary total (ms) | SIGTERM → exit (ms) | raw tail (ms) | adjusted tail (ms) | exit code | load avg |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "| config | median SIGTERM → exit (ms) | median cleanup (ms) | median raw tail (ms) | median adjusted tail (ms) |"
echo "|---|---|---|---|---|"
for config in $CONFIGS; do
	echo "| $config | $(tr ' ' '\n' <<<"${exits[$config]}" | grep . | median) | $(tr ' ' '\n' <<<"${cleanups[$config]}" | grep . | median) | $(tr ' ' '\n' <<<"${raw_tails[$config]}" | grep . | median) | $(tr ' ' '\n' <<<"${adj_tails[$config]}" | grep . | median) |"
done
echo
echo "Target: adjusted tail <= 100 ms."
exit "$any_failed"
