#!/usr/bin/env bash
# Request overhead: throughput of GET /work?ms=0 with the starter vs plain Spring Boot.
#
# For each server (Tomcat, Reactor Netty) and each of FORKS forks: start three fresh instances
# of the sample jar side by side on free 127.0.0.1 ports: "starter" (graceful.shutdown.enabled=
# true), "plain" (graceful.shutdown.enabled=false, plain Spring Boot) and "control" (plain
# again). Warm them up with wrk, then run ROUNDS rounds: in each, one
# `wrk -t1 -cCONNS -dDURATION` against every side, back to back, in an order that changes from
# round to round so that the noise of a shared machine hits all sides equally (ROUNDS and
# FORKS are best multiples of 6, see ORDERS). Only the
# instance under load is busy; the others idle.
# The figure of a round is starter / without, where without is the geometric mean of plain's
# and control's throughput in that round: two processes without the starter halve the
# per-process noise of that side. control/plain measures the harness itself, between two
# identical processes, in the same run and under the same noise: a gap no larger than its
# spread is not the starter's.
# Why forks: two JVMs running the same code settle into throughputs that differ by a few
# per cent for the life of the process (what the JIT compiled, and how); fresh processes
# average that out, as JMH's forks do.
# Why a 60 s warm-up in short runs: under this load a fresh JVM reaches its steady throughput
# only after about 55 s (C2 compiling while wrk and the event loops share the two CPUs);
# measured on Reactor Netty in 5 s slices: 2 400, 4 700, 5 400, 7 700, 15 900, 21 100,
# 22 300 ... 24 400 req/s. And each new wrk run (new connections) sets off a wave of JIT
# deoptimizations in the server (-XX:+PrintCompilation: 20-50 methods made not entrant, then
# recompiled) that shrinks over the first ten or so runs; the warm-up's short runs take those
# waves instead of the measured rounds.
# Also measured: the server's CPU time per request (user + system, from /proc/<pid>/stat, JIT
# and GC threads included), which CPU steal and wrk's scheduling do not change.
# Prints a Markdown table of the per-round requests/s, each fork's median ratios, and per server
# the median of all per-round ratios starter/without (target >= 0.99) and control/plain, their
# geometric means with a 95 % interval from resampling whole forks, and the CPU time per
# request; exits 2 if the harness failed (an instance did not start, wrk errors).
#
#   bench/request-overhead.sh                       # both servers, 6 forks of 6 rounds of 8 s
#   SERVERS=netty bench/request-overhead.sh         # about 35 min
#   MAX_LOAD=1.5 bench/request-overhead.sh          # on a shared machine: wait for a quiet moment
#
# Settings (environment), defaults in brackets:
#   SERVERS [tomcat netty]  FORKS [6]  ROUNDS [6 per fork]  DURATION [8s]  WARMUP [60s per
#   instance]  WARMUP_RUNS [6]  CONNS [16]  THREADS [1]  SERVER_JVM [-Xms512m -Xmx512m]
#   JAVA [java]  TOMCAT_OPTS []  NETTY_OPTS [--spring.main.web-application-type=reactive]
#   MAX_LOAD [unset] and LOAD_WAIT [300]: before each round wait, at most LOAD_WAIT seconds,
#   until the 1-minute load average is at most MAX_LOAD.
# Logs: bench/target/request-overhead/<timestamp>/<server>-<fork>-<side>.log and wrk-*.txt
set -euo pipefail
cd "$(dirname "$0")/.."
# now_ms, load_avg, secs, median, wait_for_quiet
. bench/common.sh

SERVERS=${SERVERS:-"tomcat netty"}
FORKS=${FORKS:-6}
ROUNDS=${ROUNDS:-6}
DURATION=${DURATION:-8s}
WARMUP=${WARMUP:-60s}
CONNS=${CONNS:-16}
THREADS=${THREADS:-1}
SERVER_JVM=${SERVER_JVM:-"-Xms512m -Xmx512m"}
JAVA=${JAVA:-java}
TOMCAT_OPTS=${TOMCAT_OPTS:-}
NETTY_OPTS=${NETTY_OPTS:-"--spring.main.web-application-type=reactive"}
WARMUP_RUNS=${WARMUP_RUNS:-6}
MAX_LOAD=${MAX_LOAD:-}
LOAD_WAIT=${LOAD_WAIT:-300}
JAR=sample-app/target/graceful-shutdown-sample-app.jar
START_TIMEOUT=90
# wrk's own duration plus slack: a hung wrk is killed.
WRK_SLACK=30

OUT=bench/target/request-overhead/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"

die() { echo "request-overhead: $*" >&2; exit 2; }
command -v wrk >/dev/null || die "wrk not found"
build_jar_if_missing

# Everything started here is stopped on exit, whatever the exit path.
declare -A pids=()
cleanup() {
	local pid
	for pid in "${pids[@]}"; do
		kill -KILL "$pid" 2>/dev/null || true
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start <server> <fork> <side> -> sets port_<side>
start() {
	local server=$1 fork=$2 side=$3 enabled log
	log=$OUT/$server-$fork-$side.log
	if [ "$side" = starter ]; then enabled=true; else enabled=false; fi
	local -a cmd
	# shellcheck disable=SC2206
	case $server in
	tomcat) cmd=("$JAVA" $SERVER_JVM -jar "$JAR" $TOMCAT_OPTS) ;;
	netty) cmd=("$JAVA" $SERVER_JVM -jar "$JAR" $NETTY_OPTS) ;;
	*) die "unknown server '$server' (tomcat or netty)" ;;
	esac
	# No access logging, the default log level; the report file goes to the run directory.
	cmd+=(--server.address=127.0.0.1 --server.port=0 "--graceful.shutdown.enabled=$enabled"
		"--graceful.shutdown.report.file=$PWD/$OUT/$server-$fork-$side-report.json")
	echo "== $server $side: ${cmd[*]}" >&2
	"${cmd[@]}" >"$log" 2>&1 &
	pids[$side]=$!
	wait_for_port "${pids[$side]}" "$log" "$server $side"
	local port=$started_port
	curl -sf -o /dev/null "http://127.0.0.1:$port/work?ms=0" || die "$server $side: GET /work?ms=0 failed"
	printf -v "port_$side" '%s' "$port"
	echo "   listening on 127.0.0.1:$port (pid ${pids[$side]})" >&2
}

CLK_TCK=$(getconf CLK_TCK)
# cpu_ticks <pid> -> the process's user + system CPU time so far, in clock ticks
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# bench <port> <duration> <file> [pid] -> prints requests/s (and, given the server's pid, its CPU
# microseconds per request); fails on socket errors or non-2xx.
bench() {
	local port=$1 duration=$2 file=$3 pid=${4:-} before=""
	[ -z "$pid" ] || before=$(cpu_ticks "$pid")
	timeout -k 5 $(( $(secs "$duration") + WRK_SLACK )) \
		wrk -t"$THREADS" -c"$CONNS" -d"$duration" --latency "http://127.0.0.1:$port/work?ms=0" >"$file" 2>&1 ||
		{ cat "$file" >&2; die "wrk failed"; }
	if grep -qE 'Socket errors|Non-2xx' "$file"; then
		cat "$file" >&2
		die "wrk saw errors (see $file)"
	fi
	local rps requests
	rps=$(grep -oP '^Requests/sec:\s*\K[0-9.]+' "$file")
	if [ -z "$pid" ]; then
		echo "$rps"
		return
	fi
	requests=$(grep -oP '^\s*\K[0-9]+(?= requests in )' "$file")
	awk -v r="$rps" -v t="$(( $(cpu_ticks "$pid") - before ))" -v n="$requests" -v hz="$CLK_TCK" \
		'BEGIN { printf "%s %.1f\n", r, t * 1000000 / hz / n }'
}

ratio() { awk -v s="$1" -v p="$2" 'BEGIN { printf "%.3f", s / p }'; }
# without <plain> <control> -> their geometric mean: the "without the starter" figure of a round
without() { awk -v p="$1" -v c="$2" 'BEGIN { printf "%.2f", sqrt(p * c) }'; }
fmt3() { awk '{ printf "%.3f", $1 }'; }
# Reads "<fork> <ratio>" lines; prints the geometric mean of all ratios and a 95 % interval
# for it from 10 000 bootstrap resamples of whole forks (rounds of one fork are not
# independent: the processes are the same).
geomean_ci() {
	local lines lo hi
	lines=$(cat)
	read -r lo hi < <(awk 'BEGIN { srand(1) }
		{ if (!($1 in n)) forks[++k] = $1; n[$1]++; s[$1] += log($2) }
		END {
			for (b = 1; b <= 10000; b++) {
				t = 0; c = 0
				for (i = 1; i <= k; i++) { f = forks[int(rand() * k) + 1]; t += s[f]; c += n[f] }
				print exp(t / c)
			}
		}' <<<"$lines" | sort -g | sed -n '250p;9751p' | paste -sd' ')
	awk -v lo="$lo" -v hi="$hi" '{ all += log($2); count++ }
		END { printf "%.3f (95 %% over forks: %.3f-%.3f)", exp(all / count), lo, hi }' <<<"$lines"
}

SIDES=(starter plain control)

# The orders of one block of six rounds: the three rotations and their reverses (a Williams
# design), so that over a block each side runs first, second and last twice, and right after
# each other side twice. Both matter on this kind of machine: in runs with plain rotation the
# first measurement of a round ran 1.2 % slow and the first one after the warm-up 2.7 % slow.
ORDERS=("starter plain control" "plain control starter" "control starter plain"
	"control plain starter" "starter control plain" "plain starter control")
# order_for <fork> <round> -> the order of that round; a fork starts one order further than the
# one before it, so that the first round after the warm-up does not always start with one side.
order_for() { echo "${ORDERS[($1 + $2 - 2) % 6]}"; }

rows=()
forks=()
summary=()
for server in $SERVERS; do
	declare -A all_rps=() all_cpu=()
	# "<fork> <ratio>" lines: starter / without, control / plain (the A/A), CPU starter / without
	ratios=()
	control_ratios=()
	cpu_ratios=()
	for fork in $(seq 1 "$FORKS"); do
		# Rotate which side starts (and warms up) first.
		sides=$(order_for "$fork" 1)
		for side in $sides; do
			start "$server" "$fork" "$side"
		done
		# Warm-up, not counted: WARMUP_RUNS short runs per side, the sides taking turns. Each
		# wrk run opens new connections, and the first few of those set off waves of JIT
		# deoptimization and recompilation in the server; a single long run leaves them to
		# the measured rounds.
		warm=$(( $(secs "$WARMUP") / WARMUP_RUNS ))
		echo "   warm-up: $WARMUP_RUNS runs of ${warm}s per side, sides taking turns" >&2
		for run in $(seq 1 "$WARMUP_RUNS"); do
			for side in $sides; do
				port_var=port_$side
				bench "${!port_var}" "${warm}s" "$OUT/wrk-$server-$fork-$side-warmup-$run.txt" >/dev/null
			done
		done
		fork_ratios=()
		fork_control=()
		for round in $(seq 1 "$ROUNDS"); do
			wait_for_quiet
			order=$(order_for "$fork" "$round")
			load=$(load_avg)
			declare -A rps=() cpu=()
			for side in $order; do
				port_var=port_$side
				measured=$(bench "${!port_var}" "$DURATION" "$OUT/wrk-$server-$fork-$side-$round.txt" "${pids[$side]}")
				read -r "rps[$side]" "cpu[$side]" <<<"$measured"
				all_rps[$side]+="${rps[$side]} "
				all_cpu[$side]+="${cpu[$side]} "
				echo "   fork $fork round $round $side: ${rps[$side]} req/s, ${cpu[$side]} us CPU/request (load $(load_avg))" >&2
			done
			base=$(without "${rps[plain]}" "${rps[control]}")
			cpu_base=$(without "${cpu[plain]}" "${cpu[control]}")
			fork_ratios+=("$(ratio "${rps[starter]}" "$base")")
			fork_control+=("$(ratio "${rps[control]}" "${rps[plain]}")")
			ratios+=("$fork ${fork_ratios[-1]}")
			control_ratios+=("$fork ${fork_control[-1]}")
			cpu_ratios+=("$fork $(ratio "${cpu[starter]}" "$cpu_base")")
			rows+=("| $server | $fork | $round | ${order// /, } | ${rps[starter]} | ${rps[plain]} | ${rps[control]} | **${fork_ratios[-1]}** | $(ratio "${rps[starter]}" "${rps[plain]}") | ${fork_control[-1]} | ${cpu[starter]} | ${cpu[plain]} | ${cpu[control]} | ${cpu_ratios[-1]#* } | $load |")
		done
		for side in "${SIDES[@]}"; do
			kill -KILL "${pids[$side]}" 2>/dev/null || true
			wait "${pids[$side]}" 2>/dev/null || true
			unset "pids[$side]"
		done
		forks+=("| $server | $fork | ${fork_ratios[*]} | $(printf '%s\n' "${fork_ratios[@]}" | median | fmt3) | ${fork_control[*]} | $(printf '%s\n' "${fork_control[@]}" | median | fmt3) |")
	done
	ms=$(printf '%s\n' ${all_rps[starter]} | median)
	mw=$(printf '%s\n' ${all_rps[plain]} ${all_rps[control]} | median)
	# Each round's sides ran back to back on the same processes: their ratio is the figure;
	# the median over all rounds of all forks is the result.
	summary+=("| $server | $ms | $mw | **$(printf '%s\n' "${ratios[@]}" | cut -d' ' -f2 | median | fmt3)** | $(printf '%s\n' "${ratios[@]}" | geomean_ci) | $(printf '%s\n' "${control_ratios[@]}" | cut -d' ' -f2 | median | fmt3) | $(printf '%s\n' "${control_ratios[@]}" | geomean_ci) | $(printf '%s\n' ${all_cpu[starter]} | median) | $(printf '%s\n' ${all_cpu[plain]} ${all_cpu[control]} | median) | $(printf '%s\n' "${cpu_ratios[@]}" | cut -d' ' -f2 | median | fmt3) |")
	unset all_rps all_cpu
done

echo
echo "GET /work?ms=0, wrk -t$THREADS -c$CONNS -d$DURATION, $FORKS forks (fresh processes: ${SIDES[*]}) of $ROUNDS rounds, each side once per round, orders balanced (Williams design), warm-up $WARMUP per instance in $WARMUP_RUNS runs, $(nproc) CPUs, JVM $SERVER_JVM, $("$JAVA" -version 2>&1 | head -1) (logs: $OUT)"
echo
echo "without = geometric mean of plain and control (both plain Spring Boot) in the same round."
echo
echo "| server | fork | round | order | starter (req/s) | plain (req/s) | control (req/s) | starter/without | starter/plain | control/plain (A/A) | starter CPU (µs/req) | plain CPU (µs/req) | control CPU (µs/req) | CPU starter/without | load avg |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "| server | fork | starter/without per round | median | control/plain per round | median |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${forks[@]}"
echo
echo "| server | median starter (req/s) | median without (req/s) | median of per-round starter/without | geometric mean starter/without | median of per-round control/plain (A/A) | geometric mean control/plain | median starter CPU (µs/req) | median without CPU (µs/req) | median of per-round CPU starter/without |"
echo "|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${summary[@]}"
echo
echo "Target: starter/without >= 0.99 (median of all per-round throughput ratios). control/plain is"
echo "what the harness measures between two identical processes, in the same run: the resolution"
echo "of the figure. CPU per request: the server's user + system time (JIT and GC threads included)"
echo "over the requests wrk completed."
