#!/usr/bin/env bash
# Drain benchmark: 10 000 concurrent in-flight requests, then SIGTERM.
#
# For each server (Tomcat, Reactor Netty) and each run: start the sample jar on a free
# 127.0.0.1 port; then bench/DrainLoadClient.java (raw sockets, HTTP/1.1, no retries) warms
# it up, opens REQUESTS connections over CONNECT_MS and waits until the server has accepted
# them all, sends one GET /work?ms=WORK_MS per connection over RAMP_MS and waits until the
# server's http.server.requests.active meter shows all of them in flight (at the latest
# LATEST_READY_MS after the first request, which is then still running). Then SIGTERM
# (graceful.shutdown.delay=0s, so the drain starts at once) and every response is collected.
# Prints a Markdown table; exits 1 if any request failed, 2 if the harness itself failed.
#
#   bench/drain-10k.sh                          # both servers, 2 runs each
#   SERVERS=netty RUNS=3 bench/drain-10k.sh
#   MAX_LOAD=3 bench/drain-10k.sh               # on a shared machine: wait for a quiet moment
#
# Settings (environment), defaults in brackets:
#   SERVERS [tomcat netty]  RUNS [2]  REQUESTS [10000]  WORK_MS [5000]  CONNECT_MS [5000]
#   RAMP_MS [1000]  LATEST_READY_MS [WORK_MS-300]  WARMUPS [5000 short requests, not counted]
#   DELAY [0s]  SERVER_JVM [-Xms1g -Xmx2g]  CLIENT_JVM [-Xmx1g -XX:TieredStopAtLevel=1
#   -XX:+UseSerialGC]  JAVA17 [java]  JAVA25 [/usr/lib/jvm/temurin-25-jdk-amd64/bin/java]
#   TOMCAT_OPTS / NETTY_OPTS [see below]
#   MAX_LOAD [unset] and LOAD_WAIT [600]: before each run wait, at most LOAD_WAIT seconds,
#   until the 1-minute load average is at most MAX_LOAD.
# The server must take in all REQUESTS within about WORK_MS - 300 ms of the first one: on a
# busy machine it cannot, and the requests it has not yet read when the drain starts are
# closed without a response (the table then shows fewer in flight than sent).
# Logs of each run: bench/target/drain-10k/<timestamp>/<server>-<run>/{server,client}.log
set -euo pipefail
cd "$(dirname "$0")/.."
# now_ms, load_avg, median, wait_for_quiet
. bench/common.sh

SERVERS=${SERVERS:-"tomcat netty"}
RUNS=${RUNS:-2}
REQUESTS=${REQUESTS:-10000}
WORK_MS=${WORK_MS:-5000}
CONNECT_MS=${CONNECT_MS:-5000}
RAMP_MS=${RAMP_MS:-1000}
LATEST_READY_MS=${LATEST_READY_MS:-$(( WORK_MS - 300 ))}
WARMUPS=${WARMUPS:-5000}
DELAY=${DELAY:-0s}
SERVER_JVM=${SERVER_JVM:-"-Xms1g -Xmx2g"}
CLIENT_JVM=${CLIENT_JVM:-"-Xmx1g -XX:TieredStopAtLevel=1 -XX:+UseSerialGC"}
JAVA17=${JAVA17:-java}
JAVA25=${JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
# Tomcat: one virtual thread per request (a platform thread pool would hold 200 in flight and
# queue the rest unparsed); max-connections bounds the sockets Tomcat holds (default 8192),
# accept-count is the listen backlog (default 100, capped by net.core.somaxconn).
TOMCAT_OPTS=${TOMCAT_OPTS:-"--spring.threads.virtual.enabled=true --server.tomcat.max-connections=$(( REQUESTS * 2 )) --server.tomcat.accept-count=$(( REQUESTS * 2 ))"}
NETTY_OPTS=${NETTY_OPTS:-"--spring.main.web-application-type=reactive"}
MAX_LOAD=${MAX_LOAD:-}
LOAD_WAIT=${LOAD_WAIT:-600}
JAR=sample-app/target/graceful-shutdown-sample-app.jar

# Hard bounds. Server start, client READY (warm-up, connect, settle, ramp), SIGTERM to exit (s);
# the client's own deadline for the last response (ms after the first request) and its kill
# timeout (s).
START_TIMEOUT=90
READY_TIMEOUT=$(( (CONNECT_MS + LATEST_READY_MS) / 1000 + 180 ))
EXIT_TIMEOUT=90
CLIENT_DEADLINE_MS=$(( WORK_MS + 40000 ))
CLIENT_TIMEOUT=$(( READY_TIMEOUT + CLIENT_DEADLINE_MS / 1000 + 30 ))

OUT=bench/target/drain-10k/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"

die() { echo "drain-10k: $*" >&2; exit 2; }

[ -x "$JAVA25" ] || die "Java 25 not found at $JAVA25 (the client and the Tomcat server need virtual threads)"
build_jar_if_missing

# One socket per request in the client and one in the server, plus the JVMs' own files.
need_files=$(( REQUESTS + 2000 ))
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$need_files" ]; then
	die "ulimit -Hn is $hard; $need_files open files are needed"
fi
ulimit -n "$( [ "$hard" = unlimited ] && echo $(( need_files * 2 )) || echo "$hard" )"

# Everything started here is stopped on exit, whatever the exit path.
server_pid=""
client_pid=""
cleanup() {
	# The client runs under timeout(1), which passes TERM on to its JVM.
	[ -z "$client_pid" ] || kill -TERM "$client_pid" 2>/dev/null || true
	[ -z "$server_pid" ] || kill -KILL "$server_pid" 2>/dev/null || true
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
signed() { if [ "$1" -ge 0 ]; then echo "+$1"; else echo "$1"; fi; }
field() { grep -oP "(^| )$2=\K[^ ]+" <<<"$1" | head -1 || true; }

rows=()
any_failed=0
harness_error=0

run_once() {
	local server=$1 run=$2
	local dir=$OUT/$server-$run
	mkdir -p "$dir"
	local server_log=$dir/server.log client_log=$dir/client.log
	local -a cmd
	# Word splitting of the option strings is intended.
	# shellcheck disable=SC2206
	case $server in
	tomcat) cmd=("$JAVA25" $SERVER_JVM -jar "$JAR" $TOMCAT_OPTS) ;;
	netty) cmd=("$JAVA17" $SERVER_JVM -jar "$JAR" $NETTY_OPTS) ;;
	*) die "unknown server '$server' (tomcat or netty)" ;;
	esac
	cmd+=(--server.address=127.0.0.1 --server.port=0 "--graceful.shutdown.delay=$DELAY"
		--management.endpoints.web.exposure.include=health,metrics)

	wait_for_quiet
	echo "== $server run $run (load $(load_avg)): ${cmd[*]}" >&2
	"${cmd[@]}" >"$server_log" 2>&1 &
	server_pid=$!

	wait_for_port "$server_pid" "$server_log" "$server"
	local port=$started_port deadline
	echo "   listening on 127.0.0.1:$port (pid $server_pid)" >&2

	# shellcheck disable=SC2086
	timeout -k 5 "$CLIENT_TIMEOUT" "$JAVA25" $CLIENT_JVM bench/DrainLoadClient.java "$port" "$REQUESTS" \
		"$WORK_MS" "$CONNECT_MS" "$RAMP_MS" "$LATEST_READY_MS" "$CLIENT_DEADLINE_MS" "$WARMUPS" \
		>"$client_log" 2>&1 &
	client_pid=$!

	deadline=$(( $(now_ms) + READY_TIMEOUT * 1000 ))
	until grep -q '^READY' "$client_log"; do
		kill -0 "$client_pid" 2>/dev/null || { cat "$client_log" >&2; die "client ended before READY"; }
		[ "$(now_ms)" -lt "$deadline" ] || die "client not READY within ${READY_TIMEOUT}s"
		sleep 0.05
	done
	local sigterm_ms load
	sigterm_ms=$(now_ms)
	kill -TERM "$server_pid"
	# The machine may be shared: the 1-minute load average puts the timings in context.
	load=$(load_avg)
	local ready
	ready=$(grep -m1 '^READY' "$client_log")
	echo "   $ready; SIGTERM sent" >&2

	# Poll rather than wait: the bound holds even if the JVM hangs.
	local exit_ms server_rc=0
	deadline=$(( sigterm_ms + EXIT_TIMEOUT * 1000 ))
	while kill -0 "$server_pid" 2>/dev/null; do
		if [ "$(now_ms)" -ge "$deadline" ]; then
			echo "   server still running ${EXIT_TIMEOUT}s after SIGTERM: SIGKILL" >&2
			kill -KILL "$server_pid" 2>/dev/null || true
			harness_error=1
		fi
		sleep 0.02
	done
	exit_ms=$(now_ms)
	wait "$server_pid" || server_rc=$?
	server_pid=""

	local client_rc=0
	wait "$client_pid" || client_rc=$?
	client_pid=""
	local result
	result=$(grep '^RESULT' "$client_log" || true)
	if [ -z "$result" ]; then
		cat "$client_log" >&2
		echo "   client produced no RESULT (exit $client_rc)" >&2
		harness_error=1
		rows+=("| $server | $run | $REQUESTS | ? | ? | ? | ? | ? | ? | $(( exit_ms - sigterm_ms )) | $load |")
		return
	fi

	local sent completed failed first_completion last_completion seen
	sent=$(field "$result" sent)
	completed=$(field "$result" completed)
	failed=$(field "$result" failed)
	first_completion=$(field "$result" firstCompletionEpochMs)
	last_completion=$(field "$result" lastCompletionEpochMs)
	seen=$(field "$ready" inFlightSeenByServer)
	if [ "$seen" = "-1" ]; then
		seen="? (meter unreadable)"
	elif grep -q NOT_ALL_IN_FLIGHT <<<"$ready"; then
		seen="$seen (not all)"
	fi
	[ "$sent" -eq $(( completed + failed )) ] || { echo "   sent != completed + failed" >&2; harness_error=1; }
	[ "$failed" -eq 0 ] || any_failed=1

	local in_flight drain_start_ms drain_end_ms drain_ms delta
	in_flight=$(grep -oP -m1 'drain started with \K[0-9]+' "$server_log" || echo "?")
	drain_start_ms=$(log_ms "$server_log" 'drain started with')
	drain_end_ms=$(log_ms "$server_log" 'drain ended after')
	drain_ms=$(grep -oP -m1 'drain ended after \K[0-9]+' "$server_log" || echo "?")
	delta="?"
	if [ -n "$drain_end_ms" ] && [ "$last_completion" -gt 0 ]; then
		delta=$(( drain_end_ms - last_completion ))
	fi

	{
		echo "   client: $result"
		local line first last
		while read -r line; do
			first=$(field "$line" firstEpochMs)
			last=$(field "$line" lastEpochMs)
			echo "   ${line%% firstEpochMs=*} at SIGTERM$(signed $(( first - sigterm_ms )))..$(signed $(( last - sigterm_ms ))) ms: ${line#* reason=}"
		done < <(grep '^FAILURE' "$client_log" || true)
		grep -oP 'Graceful shutdown: drain ended after .*|Graceful shutdown complete in .*' "$server_log" |
			sed 's/^/   server: /' || echo "   server: (no drain-ended or summary line)"
		echo "   SIGTERM -> drain start $(( ${drain_start_ms:-$sigterm_ms} - sigterm_ms )) ms;" \
			"responses at SIGTERM$(signed $(( ${first_completion:-0} > 0 ? first_completion - sigterm_ms : 0 )))..$(signed $(( ${last_completion:-0} > 0 ? last_completion - sigterm_ms : 0 ))) ms;" \
			"exit code $server_rc after $(( exit_ms - sigterm_ms )) ms"
	} >&2
	rows+=("| $server | $run | $sent | $completed | $failed | $seen | $in_flight | $drain_ms | $delta | $(( exit_ms - sigterm_ms )) | $load |")
}

for server in $SERVERS; do
	for run in $(seq 1 "$RUNS"); do
		run_once "$server" "$run"
	done
done

echo
echo "$REQUESTS × GET /work?ms=$WORK_MS, ramp ${RAMP_MS} ms, graceful.shutdown.delay=$DELAY, $(nproc) CPUs (logs: $OUT)"
echo
echo "| server | run | sent | completed (200) | failed | in flight before SIGTERM (meter) | in flight at drain start (log) | drain (ms) | drain ended − last response (ms) | SIGTERM → exit (ms) | load avg |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"

if [ "$harness_error" -ne 0 ]; then
	exit 2
fi
exit "$any_failed"
