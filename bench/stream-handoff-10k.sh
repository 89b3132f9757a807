#!/usr/bin/env bash
# Stream hand-off benchmark: 10 000 open streams on one instance, SIGTERM, and what the
# remaining instance sees.
#
# Starts two sample-app instances on free 127.0.0.1 ports: A (the one stopped) and B (the one
# that remains), both with a slow ticker (sample.ticker.interval=INTERVAL). Then, for each run:
# bench/StreamHandOffClient.java opens SSE_STREAMS GET /ticker streams (raw sockets) and
# WS_STREAMS WebSockets /ticks (a minimal client, raw sockets) to A, spread over CONNECT_MS, and
# waits until each has had its first tick; then SIGTERM to A. The client records, per stream,
# when and how A ended it (SSE: the shutdown event then the end of the chunked body = clean;
# WebSocket: close code 1001; else cut) and reconnects it to B at once, resuming after the
# last tick seen (Last-Event-ID, ?after=), as a load balancer would route it. A is started
# again for the next run. The runs: the starter with graceful.shutdown.web.streams.spread=0s
# and =5s (SPREADS), and with PLAIN=1 plain Spring Boot (graceful.shutdown.enabled=false,
# spring.lifecycle.timeout-per-shutdown-phase=PLAIN_PHASE_TIMEOUT).
# Prints a Markdown table comparing the runs; the peak reconnect rate at B is the most
# reconnections in any 100 ms (and 1 s) window. Exits 1 if a starter run cut a stream or a
# stream did not resume on B with the next tick, 2 if the harness itself failed.
#
#   bench/stream-handoff-10k.sh                         # Tomcat, spread 0s and 5s
#   SSE_STREAMS=500 WS_STREAMS=500 bench/stream-handoff-10k.sh
#   MAX_LOAD=3 bench/stream-handoff-10k.sh              # on a shared machine: wait for a quiet moment
#   PLAIN=1 SERVER=netty bench/stream-handoff-10k.sh    # also plain Spring Boot, on Reactor Netty
#
# Settings (environment), defaults in brackets:
#   SERVER [tomcat] (or netty)  SSE_STREAMS [5000]  WS_STREAMS [5000]  SPREADS [0s 5s]
#   PLAIN [0]  PLAIN_PHASE_TIMEOUT [10s]  INTERVAL [5s]  DELAY [1s]  CONNECT_MS [10000]
#   SERVER_JVM [-Xms1g -Xmx2g]  CLIENT_JVM [-Xmx1g -XX:TieredStopAtLevel=1 -XX:+UseSerialGC]
#   JAVA [java] (the app)
#   JAVA25 [/usr/lib/jvm/temurin-25-jdk-amd64/bin/java] (the client: virtual threads)
#   TOMCAT_OPTS / NETTY_OPTS [see below]  APP_OPTS [--sample.misbehaving-cleanups=false]
#   MAX_LOAD [unset] and LOAD_WAIT [600]: before each run wait, at most LOAD_WAIT seconds,
#   until the 1-minute load average is at most MAX_LOAD.
# Logs: bench/target/stream-handoff-10k/<timestamp>/{b.log,<run>/{a.log,client.log,events.txt}}
# (events.txt: one line per stream: kind index end-epoch-ms how reconnect-epoch-ms
# first-tick-at-B-epoch-ms resumed).
set -euo pipefail
cd "$(dirname "$0")/.."
# now_ms, load_avg, secs, build_jar_if_missing, wait_for_port, wait_for_quiet
. bench/common.sh

SERVER=${SERVER:-tomcat}
SSE_STREAMS=${SSE_STREAMS:-5000}
WS_STREAMS=${WS_STREAMS:-5000}
SPREADS=${SPREADS:-"0s 5s"}
PLAIN=${PLAIN:-0}
PLAIN_PHASE_TIMEOUT=${PLAIN_PHASE_TIMEOUT:-10s}
INTERVAL=${INTERVAL:-5s}
DELAY=${DELAY:-1s}
CONNECT_MS=${CONNECT_MS:-10000}
SERVER_JVM=${SERVER_JVM:-"-Xms1g -Xmx2g"}
CLIENT_JVM=${CLIENT_JVM:-"-Xmx1g -XX:TieredStopAtLevel=1 -XX:+UseSerialGC"}
JAVA=${JAVA:-java}
JAVA25=${JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
STREAMS=$(( SSE_STREAMS + WS_STREAMS ))
# Tomcat holds at most max-connections sockets (default 8192): B takes every stream, and A's
# and B's streams of one run can overlap. Neither an SSE stream (async) nor a WebSocket holds
# a request thread, so the 200 default threads do. accept-count is the listen backlog.
TOMCAT_OPTS=${TOMCAT_OPTS:-"--server.tomcat.max-connections=$(( STREAMS * 2 + 1000 )) --server.tomcat.accept-count=$(( STREAMS ))"}
NETTY_OPTS=${NETTY_OPTS:-"--spring.main.web-application-type=reactive"}
# The sample's MisbehavingCleanups hang past a timeout on purpose (about 500 ms more per
# shutdown); off here, so that SIGTERM -> exit is the streams' doing.
APP_OPTS=${APP_OPTS:-"--sample.misbehaving-cleanups=false"}
MAX_LOAD=${MAX_LOAD:-}
LOAD_WAIT=${LOAD_WAIT:-600}
JAR=sample-app/target/graceful-shutdown-sample-app.jar

# Hard bounds (s): server start, client READY, SIGTERM to exit, the client's wait after READY.
START_TIMEOUT=120
READY_TIMEOUT=$(( CONNECT_MS / 1000 + 120 ))
EXIT_TIMEOUT=90
CLIENT_DEADLINE_MS=120000
CLIENT_TIMEOUT=$(( READY_TIMEOUT + CLIENT_DEADLINE_MS / 1000 + 60 ))

OUT=bench/target/stream-handoff-10k/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"

die() { echo "stream-handoff-10k: $*" >&2; exit 2; }

[ -x "$JAVA25" ] || die "Java 25 not found at $JAVA25 (the client needs virtual threads)"
case $SERVER in
tomcat) server_opts=$TOMCAT_OPTS ;;
netty) server_opts=$NETTY_OPTS ;;
*) die "unknown SERVER '$SERVER' (tomcat or netty)" ;;
esac
build_jar_if_missing

# One socket per stream in the client and in each instance, plus the JVMs' own files.
need_files=$(( STREAMS + 2000 ))
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$need_files" ]; then
	die "ulimit -Hn is $hard; $need_files open files are needed"
fi
ulimit -n "$( [ "$hard" = unlimited ] && echo $(( need_files * 2 )) || echo "$hard" )"

# Everything started here is stopped on exit, whatever the exit path.
a_pid=""
b_pid=""
client_pid=""
cleanup() {
	# The client runs under timeout(1), which passes TERM on to its JVM.
	[ -z "$client_pid" ] || kill -TERM "$client_pid" 2>/dev/null || true
	[ -z "$a_pid" ] || kill -KILL "$a_pid" 2>/dev/null || true
	[ -z "$b_pid" ] || kill -KILL "$b_pid" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Epoch milliseconds of the first log line matching a pattern (lines start with an ISO-8601 timestamp).
log_ms() {
	local line
	line=$(grep -m1 -E "$2" "$1" || true)
	[ -n "$line" ] || return 0
	date -d "${line%% *}" +%s%3N
}
field() { grep -oP "(^| )$2=\K[^ ]+" <<<"$1" | head -1 || true; }
signed() { if [ "$1" -ge 0 ]; then echo "+$1"; else echo "$1"; fi; }

# start_app <log> <what> <args...> -> sets started_pid and started_port
start_app() {
	local log=$1 what=$2
	shift 2
	local -a cmd
	# Word splitting of the option strings is intended.
	# shellcheck disable=SC2206
	cmd=("$JAVA" $SERVER_JVM -jar "$JAR" $server_opts $APP_OPTS --server.address=127.0.0.1 --server.port=0
		"--sample.ticker.interval=$INTERVAL" "--graceful.shutdown.delay=$DELAY" "$@")
	echo "   $what: ${cmd[*]}" >&2
	"${cmd[@]}" >"$log" 2>&1 &
	started_pid=$!
	wait_for_port "$started_pid" "$log" "$what"
}

rows=()
harness_error=0
any_cut=0

run_once() {
	local label=$1
	shift
	local dir=$OUT/$label
	mkdir -p "$dir"
	local a_log=$dir/a.log client_log=$dir/client.log events=$dir/events.txt
	wait_for_quiet
	echo "== $label (load $(load_avg))" >&2
	start_app "$a_log" "A ($label)" "$@"
	a_pid=$started_pid
	local port_a=$started_port
	echo "   A on 127.0.0.1:$port_a (pid $a_pid), B on 127.0.0.1:$port_b" >&2

	# shellcheck disable=SC2086
	timeout -k 5 "$CLIENT_TIMEOUT" "$JAVA25" $CLIENT_JVM bench/StreamHandOffClient.java "$port_a" "$port_b" \
		"$SSE_STREAMS" "$WS_STREAMS" "$CONNECT_MS" "$(( READY_TIMEOUT * 1000 - 5000 ))" "$CLIENT_DEADLINE_MS" \
		"$events" >"$client_log" 2>&1 &
	client_pid=$!

	local deadline=$(( $(now_ms) + READY_TIMEOUT * 1000 ))
	until grep -q '^READY' "$client_log"; do
		kill -0 "$client_pid" 2>/dev/null || { tail -30 "$client_log" >&2; die "client ended before READY"; }
		[ "$(now_ms)" -lt "$deadline" ] || die "client not READY within ${READY_TIMEOUT}s"
		sleep 0.1
	done
	local ready
	ready=$(grep -m1 '^READY' "$client_log")
	grep -q NOT_ALL_OPEN <<<"$ready" && { echo "   not every stream is open: $ready" >&2; harness_error=1; }
	local sigterm_ms load
	sigterm_ms=$(now_ms)
	kill -TERM "$a_pid"
	# The machine may be shared: the 1-minute load average puts the timings in context.
	load=$(load_avg)
	echo "   $ready; SIGTERM sent to A" >&2

	# Poll rather than wait: the bound holds even if the JVM hangs.
	local exit_ms a_rc=0
	deadline=$(( sigterm_ms + EXIT_TIMEOUT * 1000 ))
	while kill -0 "$a_pid" 2>/dev/null; do
		if [ "$(now_ms)" -ge "$deadline" ]; then
			echo "   A still running ${EXIT_TIMEOUT}s after SIGTERM: SIGKILL" >&2
			kill -KILL "$a_pid" 2>/dev/null || true
			harness_error=1
		fi
		sleep 0.02
	done
	exit_ms=$(now_ms)
	wait "$a_pid" || a_rc=$?
	a_pid=""

	local client_rc=0
	wait "$client_pid" || client_rc=$?
	client_pid=""
	local result
	result=$(grep '^RESULT' "$client_log" || true)
	if [ -z "$result" ] || [ ! -s "$events" ]; then
		tail -30 "$client_log" >&2
		echo "   client produced no RESULT (exit $client_rc)" >&2
		harness_error=1
		rows+=("| $label | ? | ? | ? | ? | ? | ? | ? | $(( exit_ms - sigterm_ms )) | ? | ? | ? | ? | ? | $load |")
		return
	fi
	[ "$(field "$result" allDone)" = true ] || { echo "   not every stream reached B within the deadline" >&2; harness_error=1; }

	# The drain (the hand-off) starts when the delay ends; plain Spring Boot has no delay.
	local drain_ms
	drain_ms=$(log_ms "$a_log" 'Graceful shutdown: delay (ended|skipped)')
	local drain_from="delay end (A's log)"
	if [ -z "$drain_ms" ]; then
		if [ "$label" = plain ]; then
			drain_ms=$sigterm_ms
			drain_from="SIGTERM (no delay)"
		else
			drain_ms=$(( sigterm_ms + $(secs "$DELAY") * 1000 ))
			drain_from="SIGTERM + delay"
		fi
	fi

	# Per stream: counts by kind and outcome, closes and reconnections relative to the drain start.
	local stats
	stats=$(awk -v d="$drain_ms" -v t="$sigterm_ms" '
		function minmax(v, k) { if (!(k in lo) || v < lo[k]) lo[k] = v; if (!(k in hi) || v > hi[k]) hi[k] = v }
		{ n[$1]++ }
		$3 > 0 && $3 < t { early++ }
		$1 == "sse" && $4 == "clean" { sseClean++ }
		$1 == "ws" && $4 == "1001" { ws1001++ }
		$4 == "cut" || $4 == "event-then-cut" { cut++ }
		$4 != "clean" && $4 != "1001" && $4 != "cut" && $4 != "event-then-cut" { other[$1 ":" $4]++ }
		$3 > 0 { minmax($3 - d, "close") }
		$5 > 0 { minmax($5 - d, "reconnect") }
		$7 == 1 { resumed++ }
		END {
			o = ""; for (k in other) o = o (o == "" ? "" : ",") k "=" other[k]
			printf "sse=%d ws=%d sseClean=%d ws1001=%d cut=%d early=%d resumed=%d other=%s", n["sse"], n["ws"], sseClean + 0, ws1001 + 0, cut + 0, early + 0, resumed + 0, (o == "" ? "-" : o)
			printf " closeFirst=%s closeLast=%s reconnectFirst=%s reconnectLast=%s\n", lo["close"], hi["close"], lo["reconnect"], hi["reconnect"]
		}' "$events")

	local sse ws sse_clean ws1001 cut other resumed open
	sse=$(field "$stats" sse)
	ws=$(field "$stats" ws)
	sse_clean=$(field "$stats" sseClean)
	ws1001=$(field "$stats" ws1001)
	cut=$(field "$stats" cut)
	other=$(field "$stats" other)
	resumed=$(field "$stats" resumed)
	open=$(field "$ready" open)
	if [ "$label" != plain ] && { [ "$cut" -ne 0 ] || [ "$resumed" -ne "$STREAMS" ]; }; then
		any_cut=1
	fi

	{
		echo "   client: $result"
		grep -E '^(CUT|RECONNECT_FAILURE)' "$client_log" | sed 's/^/   client: /' || true
		echo "   streams: $stats"
		grep -oP 'Graceful shutdown: (delay ended.*|[0-9]+ (SSE|WebSocket).* handed off.*|participant .(sse-streams|websockets). ended.*|drain ended.*)|Graceful shutdown complete in.*' "$a_log" |
			sed 's/^/   A: /' || echo "   A: (no hand-off or summary line)"
		echo "   drain start ($drain_from) at SIGTERM$(signed $(( drain_ms - sigterm_ms ))) ms; A exited with $a_rc after $(( exit_ms - sigterm_ms )) ms"
	} >&2

	local complete
	complete=$(grep -oP -m1 'Graceful shutdown complete in \K[0-9]+' "$a_log" || echo "-")
	rows+=("| $label | $open ($sse SSE + $ws WS) | $sse_clean / $sse | $ws1001 / $ws | $cut | $other | $(field "$stats" closeFirst)..$(field "$stats" closeLast) | $(field "$stats" closeLast) | $complete | $(( exit_ms - sigterm_ms )) | **$(field "$result" peak100ms)** | $(field "$result" peak1s) | $(field "$stats" reconnectFirst)..$(field "$stats" reconnectLast) | $resumed / $STREAMS | $load |")
}

echo "== B (the remaining instance)" >&2
start_app "$OUT/b.log" B
b_pid=$started_pid
port_b=$started_port

for spread in $SPREADS; do
	run_once "spread-$spread" "--graceful.shutdown.web.streams.spread=$spread"
done
if [ "$PLAIN" = 1 ]; then
	run_once plain --graceful.shutdown.enabled=false "--spring.lifecycle.timeout-per-shutdown-phase=$PLAIN_PHASE_TIMEOUT"
fi

server_name=$( [ "$SERVER" = tomcat ] && echo "Tomcat ($TOMCAT_OPTS)" || echo "Reactor Netty" )
echo
echo "$STREAMS streams ($SSE_STREAMS SSE /ticker + $WS_STREAMS WebSocket /ticks) on A, SIGTERM, reconnected to B;" \
	"$server_name, app on Java $("$JAVA" -version 2>&1 | head -1 | grep -oP '"\K[^"]+' | head -1), client on Java 25;" \
	"sample.ticker.interval=$INTERVAL, graceful.shutdown.delay=$DELAY, $(nproc) CPUs (logs: $OUT)"
echo "Times in ms from the drain start (the end of A's delay; plain: SIGTERM); peak = most reconnections at B in any window."
echo
echo "| run | streams open at SIGTERM | SSE handed off cleanly | WS closed 1001 | cut | other | closes (ms) | drain start → last close (ms) | A's shutdown report (ms) | SIGTERM → A's exit (ms) | peak reconnects at B / 100 ms | / 1 s | reconnects (ms) | resumed on B with the next tick | load avg |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"

if [ "$harness_error" -ne 0 ]; then
	exit 2
fi
exit "$any_cut"
