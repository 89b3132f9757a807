#!/usr/bin/env bash
# Request overhead: throughput of GET /work?ms=0 with the starter vs plain Spring Boot.
#
# For each server (Tomcat, Reactor Netty) and each of FORKS forks: start two fresh instances
# of the sample jar side by side on free 127.0.0.1 ports, one with the starter
# (graceful.shutdown.enabled=true) and one without (graceful.shutdown.enabled=false, plain
# Spring Boot), warm both up with wrk, then run ROUNDS rounds of `wrk -t1 -cCONNS -dDURATION`
# against each, alternating the two sides (ABBA: odd rounds starter first, even rounds plain
# first) so that the noise of a shared machine hits both equally. Only the instance under load
# is busy; the other one idles.
# Why forks: two JVMs running the same code settle into throughputs that differ by a few
# per cent for the life of the process (what the JIT compiled, and how), as the A/A control
# shows; fresh pairs of processes average that out, as JMH's forks do.
# Why a 60 s warm-up: under this load a fresh JVM reaches its steady throughput only after
# about 55 s (C2 compiling while wrk and the event loops share the two CPUs); measured on
# Reactor Netty in 5 s slices: 2 400, 4 700, 5 400, 7 700, 15 900, 21 100, 22 300 ... 24 400
# req/s. Rounds run inside that ramp measure the JIT, not the starter.
# Also measured: the server's CPU time per request (user + system, from /proc/<pid>/stat, JIT
# and GC threads included), which CPU steal and wrk's scheduling do not change.
# Prints a Markdown table of the per-round requests/s, each fork's median ratio, and per server
# the median of all per-round ratios starter/plain (target >= 0.99) and of the CPU time per
# request; exits 2 if the harness failed (an instance did not start, wrk errors).
#
#   bench/request-overhead.sh                       # both servers, 3 forks of 4 rounds of 8 s
#   SERVERS=netty FORKS=5 bench/request-overhead.sh
#   MAX_LOAD=1.5 bench/request-overhead.sh          # on a shared machine: wait for a quiet moment
#
# Settings (environment), defaults in brackets:
#   SERVERS [tomcat netty]  FORKS [3]  ROUNDS [4 per fork]  DURATION [8s]  WARMUP [60s per
#   instance]  CONNS [16]  THREADS [1]  SERVER_JVM [-Xms512m -Xmx512m]  JAVA [java]
#   TOMCAT_OPTS [] NETTY_OPTS [--spring.main.web-application-type=reactive]
#   AA [0]: 1 runs plain Spring Boot on both sides (an A/A control: the spread it shows is
#   the harness's own, between two identical processes)
#   MAX_LOAD [unset] and LOAD_WAIT [300]: before each round wait, at most LOAD_WAIT seconds,
#   until the 1-minute load average is at most MAX_LOAD.
# Logs: bench/target/request-overhead/<timestamp>/<server>-<fork>-<side>.log and wrk-*.txt
set -euo pipefail
cd "$(dirname "$0")/.."
# now_ms, load_avg, median, wait_for_quiet
. bench/common.sh

SERVERS=${SERVERS:-"tomcat netty"}
FORKS=${FORKS:-3}
ROUNDS=${ROUNDS:-4}
DURATION=${DURATION:-8s}
WARMUP=${WARMUP:-60s}
CONNS=${CONNS:-16}
THREADS=${THREADS:-1}
SERVER_JVM=${SERVER_JVM:-"-Xms512m -Xmx512m"}
JAVA=${JAVA:-java}
TOMCAT_OPTS=${TOMCAT_OPTS:-}
NETTY_OPTS=${NETTY_OPTS:-"--spring.main.web-application-type=reactive"}
MAX_LOAD=${MAX_LOAD:-}
AA=${AA:-0}
LOAD_WAIT=${LOAD_WAIT:-300}
JAR=sample-app/target/graceful-shutdown-sample-app.jar
START_TIMEOUT=90
# wrk's own duration plus slack: a hung wrk is killed.
WRK_SLACK=30

OUT=bench/target/request-overhead/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"

die() { echo "request-overhead: $*" >&2; exit 2; }
command -v wrk >/dev/null || die "wrk not found"
if [ ! -f "$JAR" ]; then
	echo "Building $JAR" >&2
	mvn -B -o -q package -DskipTests || die "build failed"
fi

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

secs() { local d=$1; case $d in *ms) echo $(( ${d%ms} / 1000 )) ;; *s) echo "${d%s}" ;; *m) echo $(( ${d%m} * 60 )) ;; *) echo "$d" ;; esac; }

# start <server> <fork> <side> -> sets port_<side>
start() {
	local server=$1 fork=$2 side=$3 enabled log
	log=$OUT/$server-$fork-$side.log
	if [ "$side" = starter ] && [ "$AA" != 1 ]; then enabled=true; else enabled=false; fi
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
	local port="" deadline=$(( $(now_ms) + START_TIMEOUT * 1000 ))
	while [ -z "$port" ]; do
		kill -0 "${pids[$side]}" 2>/dev/null || { tail -20 "$log" >&2; die "$server $side did not start"; }
		[ "$(now_ms)" -lt "$deadline" ] || die "$server $side did not start within ${START_TIMEOUT}s"
		sleep 0.2
		port=$(grep -oP -m1 'started on port \K[0-9]+' "$log" || true)
	done
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

rows=()
forks=()
summary=()
for server in $SERVERS; do
	starter_rps=()
	plain_rps=()
	starter_cpu=()
	plain_cpu=()
	ratios=()
	cpu_ratios=()
	for fork in $(seq 1 "$FORKS"); do
		# Alternate which side starts (and warms up) first.
		if (( fork % 2 )); then sides="starter plain"; else sides="plain starter"; fi
		for side in $sides; do
			start "$server" "$fork" "$side"
		done
		# Warm-up: JIT, pools, connection handling; not counted.
		for side in $sides; do
			port_var=port_$side
			echo "   warm-up $side for $WARMUP" >&2
			bench "${!port_var}" "$WARMUP" "$OUT/wrk-$server-$fork-$side-warmup.txt" >/dev/null
		done
		fork_ratios=()
		for round in $(seq 1 "$ROUNDS"); do
			wait_for_quiet
			if (( round % 2 )); then order="starter plain"; else order="plain starter"; fi
			load=$(load_avg)
			for side in $order; do
				port_var=port_$side
				measured=$(bench "${!port_var}" "$DURATION" "$OUT/wrk-$server-$fork-$side-$round.txt" "${pids[$side]}")
				read -r rps cpu <<<"$measured"
				eval "${side}_rps+=(\"\$rps\")"
				eval "${side}_cpu+=(\"\$cpu\")"
				echo "   fork $fork round $round $side: $rps req/s, $cpu us CPU/request (load $(load_avg))" >&2
			done
			s=${starter_rps[-1]} p=${plain_rps[-1]}
			fork_ratios+=("$(ratio "$s" "$p")")
			cpu_ratios+=("$(ratio "${starter_cpu[-1]}" "${plain_cpu[-1]}")")
			rows+=("| $server | $fork | $round | ${order/ /, } | $s | $p | ${fork_ratios[-1]} | ${starter_cpu[-1]} | ${plain_cpu[-1]} | ${cpu_ratios[-1]} | $load |")
		done
		for side in starter plain; do
			kill -KILL "${pids[$side]}" 2>/dev/null || true
			wait "${pids[$side]}" 2>/dev/null || true
			unset "pids[$side]"
		done
		ratios+=("${fork_ratios[@]}")
		forks+=("| $server | $fork | ${fork_ratios[*]} | $(printf '%s\n' "${fork_ratios[@]}" | median) |")
	done
	ms=$(printf '%s\n' "${starter_rps[@]}" | median)
	mp=$(printf '%s\n' "${plain_rps[@]}" | median)
	# Each round's pair ran back to back on the same pair of processes: their ratio is the
	# figure; the median over all rounds of all forks is the result.
	mr=$(printf '%s\n' "${ratios[@]}" | median)
	mc=$(printf '%s\n' "${cpu_ratios[@]}" | median)
	summary+=("| $server | $ms | $mp | $(ratio "$ms" "$mp") | $(awk -v r="$mr" 'BEGIN { printf "%.3f", r }') | $(printf '%s\n' "${starter_cpu[@]}" | median) | $(printf '%s\n' "${plain_cpu[@]}" | median) | $(awk -v r="$mc" 'BEGIN { printf "%.3f", r }') |")
done

echo
echo "GET /work?ms=0, wrk -t$THREADS -c$CONNS -d$DURATION, $FORKS forks (fresh pairs of processes) of $ROUNDS rounds per side alternating (ABBA), warm-up $WARMUP per instance, $(nproc) CPUs, JVM $SERVER_JVM, $("$JAVA" -version 2>&1 | head -1) (logs: $OUT)"
echo
echo "| server | fork | round | order | starter (req/s) | plain (req/s) | starter/plain | starter CPU (µs/req) | plain CPU (µs/req) | CPU starter/plain | load avg |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "| server | fork | per-round ratios | median |"
echo "|---|---|---|---|"
printf '%s\n' "${forks[@]}"
echo
echo "| server | median starter (req/s) | median plain (req/s) | ratio of medians | median of all per-round ratios | median starter CPU (µs/req) | median plain CPU (µs/req) | median of per-round CPU ratios |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s\n' "${summary[@]}"
echo
echo "Target: starter/plain >= 0.99 (median of all per-round throughput ratios). CPU per request: the"
echo "server's user + system time (JIT and GC threads included) over the requests wrk completed."
