#!/usr/bin/env bash
# Request overhead, measured inside the processes: the share of the server's CPU samples spent
# in the starter's code while it serves GET /work?ms=0.
#
# bench/request-overhead.sh compares whole processes, and on a shared two-CPU machine a JVM
# settles into a throughput that differs by a few per cent from one process to the next (what
# the JIT compiled, and how), more than the starter's effect. This script asks instead: of the
# time the server's threads spend running Java code, how much goes to the starter? In each
# of FORKS forks, a fresh process with the starter and one without (plain Spring Boot,
# graceful.shutdown.enabled=false) run one after the other, alone, in an order that
# alternates from fork to fork; each is warmed up like in request-overhead.sh, then profiled
# with Java Flight Recorder (jdk.ExecutionSample every PERIOD, with -XX:+DebugNonSafepoints
# so that inlined frames are attributed to the right method) during one `wrk -d DURATION`.
# A sample's owner is the first frame of its stack, from the top, that is not a JDK frame
# (java.*, jdk.*, sun.*), so that, say, a LongAdder update counts for its caller:
#   - "starter": a class of dev.graceful.shutdown (the sample application's own classes
#     excluded): the filter, the response wrapper and the tracker;
#   - "wrapper": jakarta.servlet's response and request wrappers, the delegation that every
#     wrapper layer costs; Spring MVC wraps the response too, so the process without the
#     starter has some, and the difference between the two processes is the starter's
#     wrapper layer.
# The work a wrapper passes on to Tomcat or Spring is not counted: it happens without the
# starter too. The starter's share is "starter" plus the difference in "wrapper". What this
# does not see: code running outside Java (socket I/O in the kernel, which makes the share
# of all CPU smaller still), and indirect effects such as the wrapper's allocation (garbage
# collection) or different JIT decisions, which only request-overhead.sh measures, within
# its resolution.
# Prints, per server and side, the samples and both shares, per fork and overall, the
# starter's share and the throughput ratio it implies (1 - share, were it all the
# difference), and the methods the starter's samples were in; exits 2 if the harness failed.
#
#   bench/request-profile.sh                       # both servers, 3 forks, about 30 min
#   SERVERS=tomcat bench/request-profile.sh        # about 15 min
#
# Settings (environment), defaults in brackets:
#   SERVERS [tomcat netty]  FORKS [3]  DURATION [60s]  WARMUP [60s]  WARMUP_RUNS [6]
#   PERIOD [1 ms; JFR on Java 17 samples about every 10 ms]  CONNS [16]  THREADS [1]
#   SERVER_JVM [-Xms512m -Xmx512m]  JAVA [java]  TOMCAT_OPTS []
#   NETTY_OPTS [--spring.main.web-application-type=reactive]
# Logs and recordings: bench/target/request-profile/<timestamp>/
set -euo pipefail
cd "$(dirname "$0")/.."
# now_ms, secs
. bench/common.sh

SERVERS=${SERVERS:-"tomcat netty"}
FORKS=${FORKS:-3}
DURATION=${DURATION:-60s}
WARMUP=${WARMUP:-60s}
WARMUP_RUNS=${WARMUP_RUNS:-6}
PERIOD=${PERIOD:-"1 ms"}
CONNS=${CONNS:-16}
THREADS=${THREADS:-1}
SERVER_JVM=${SERVER_JVM:-"-Xms512m -Xmx512m"}
JAVA=${JAVA:-java}
TOMCAT_OPTS=${TOMCAT_OPTS:-}
NETTY_OPTS=${NETTY_OPTS:-"--spring.main.web-application-type=reactive"}
JAR=sample-app/target/graceful-shutdown-sample-app.jar
START_TIMEOUT=90
WRK_SLACK=30

OUT=bench/target/request-profile/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"

die() { echo "request-profile: $*" >&2; exit 2; }
command -v wrk >/dev/null || die "wrk not found"
JAVA_BIN=$(dirname "$(readlink -f "$(command -v "$JAVA")")")
JFR=$JAVA_BIN/jfr
JCMD=$JAVA_BIN/jcmd
[ -x "$JFR" ] && [ -x "$JCMD" ] || die "jfr and jcmd not found next to $JAVA"
build_jar_if_missing

pid=""
cleanup() {
	[ -z "$pid" ] || kill -KILL "$pid" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cat >"$OUT/samples.jfc" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<configuration version="2.0" label="request-profile">
  <event name="jdk.ExecutionSample">
    <setting name="enabled">true</setting>
    <setting name="period">$PERIOD</setting>
  </event>
</configuration>
EOF

# run_wrk <port> <duration> <file>
run_wrk() {
	timeout -k 5 $(( $(secs "$2") + WRK_SLACK )) \
		wrk -t"$THREADS" -c"$CONNS" -d"$2" "http://127.0.0.1:$1/work?ms=0" >"$3" 2>&1 ||
		{ cat "$3" >&2; die "wrk failed"; }
	if grep -qE 'Socket errors|Non-2xx' "$3"; then
		cat "$3" >&2
		die "wrk saw errors (see $3)"
	fi
}

# attribute <recording> -> "<samples> <starter samples> <wrapper samples>" on the first line,
# then "<count> <method>" for each starter method
attribute() {
	"$JFR" print --events jdk.ExecutionSample --stack-depth 512 "$1" | awk '
		/jdk.ExecutionSample/ { if (inStack) done(); inStack = 0; next }
		/stackTrace = \[/ { inStack = 1; first = ""; next }
		inStack && /^[[:space:]]*\]/ { done(); inStack = 0; next }
		inStack {
			frame = $0
			sub(/^[[:space:]]+/, "", frame)
			sub(/[[:space:]]+line:.*$/, "", frame)
			if (first == "" && frame != "..." && frame !~ /^(java|jdk|sun)\./) first = frame
			next
		}
		function done() {
			samples++
			if (first ~ /^dev\.graceful\.shutdown\./ && first !~ /^dev\.graceful\.shutdown\.sample\./) {
				ours++
				methods[first]++
			}
			else if (first ~ /^jakarta\.servlet\.(http\.)?(HttpServlet|Servlet)(Request|Response)Wrapper\./) {
				wrapper++
			}
		}
		END {
			if (inStack) done()
			print samples + 0, ours + 0, wrapper + 0
			for (m in methods) print methods[m], m
		}'
}

pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b ? 100 * a / b : 0) }'; }

# profile <server> <fork> <side> -> writes "<samples> <starter> <wrapper> <req/s>" to
# $OUT/<server>-<fork>-<side>-result.txt and appends the starter methods to
# $OUT/<server>-<side>-methods.txt
profile() {
	local server=$1 fork=$2 side=$3 log opts enabled port warm recording samples ours wrapper
	log=$OUT/$server-$fork-$side.log
	case $server in
	tomcat) opts=$TOMCAT_OPTS ;;
	netty) opts=$NETTY_OPTS ;;
	*) die "unknown server '$server' (tomcat or netty)" ;;
	esac
	if [ "$side" = starter ]; then enabled=true; else enabled=false; fi
	local -a cmd
	# shellcheck disable=SC2206
	cmd=("$JAVA" $SERVER_JVM -XX:+UnlockDiagnosticVMOptions -XX:+DebugNonSafepoints -jar "$JAR" $opts
		--server.address=127.0.0.1 --server.port=0 "--graceful.shutdown.enabled=$enabled"
		"--graceful.shutdown.report.file=$PWD/$OUT/$server-$fork-$side-report.json")
	echo "== $server fork $fork $side: ${cmd[*]}" >&2
	"${cmd[@]}" >"$log" 2>&1 &
	pid=$!
	wait_for_port "$pid" "$log" "$server $side"
	port=$started_port
	warm=$(( $(secs "$WARMUP") / WARMUP_RUNS ))
	for run in $(seq 1 "$WARMUP_RUNS"); do
		run_wrk "$port" "${warm}s" "$OUT/wrk-$server-$fork-$side-warmup-$run.txt"
	done
	recording=$PWD/$OUT/$server-$fork-$side.jfr
	"$JCMD" "$pid" JFR.start name=request-profile "settings=$PWD/$OUT/samples.jfc" >/dev/null ||
		die "$server $side: JFR.start failed"
	run_wrk "$port" "$DURATION" "$OUT/wrk-$server-$fork-$side.txt"
	"$JCMD" "$pid" JFR.stop name=request-profile "filename=$recording" >/dev/null ||
		die "$server $side: JFR.stop failed"
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	pid=""
	attribute "$recording" >"$OUT/$server-$fork-$side-attribution.txt"
	read -r samples ours wrapper <"$OUT/$server-$fork-$side-attribution.txt"
	[ "$samples" -gt 0 ] || die "$server $side: no samples in $recording"
	tail -n +2 "$OUT/$server-$fork-$side-attribution.txt" >>"$OUT/$server-$side-methods.txt"
	echo "$samples $ours $wrapper $(grep -oP '^Requests/sec:\s*\K[0-9.]+' "$OUT/wrk-$server-$fork-$side.txt")" \
		>"$OUT/$server-$fork-$side-result.txt"
}

rows=()
summary=()
details=()
for server in $SERVERS; do
	declare -A samples=() ours=() wrapper=()
	: >"$OUT/$server-starter-methods.txt"
	: >"$OUT/$server-plain-methods.txt"
	for fork in $(seq 1 "$FORKS"); do
		if [ $(( fork % 2 )) -eq 1 ]; then order="starter plain"; else order="plain starter"; fi
		for side in $order; do
			profile "$server" "$fork" "$side"
			read -r n o w rps <"$OUT/$server-$fork-$side-result.txt"
			echo "   $n samples: starter $o ($(pct "$o" "$n") %), wrapper $w ($(pct "$w" "$n") %); $rps req/s while recording" >&2
			rows+=("| $server | $fork | $side | $rps | $n | $o | $(pct "$o" "$n") % | $w | $(pct "$w" "$n") % |")
			samples[$side]=$(( ${samples[$side]:-0} + n ))
			ours[$side]=$(( ${ours[$side]:-0} + o ))
			wrapper[$side]=$(( ${wrapper[$side]:-0} + w ))
		done
	done
	own=$(pct "${ours[starter]}" "${samples[starter]}")
	wrap_starter=$(pct "${wrapper[starter]}" "${samples[starter]}")
	wrap_plain=$(pct "${wrapper[plain]}" "${samples[plain]}")
	share=$(awk -v o="$own" -v s="$wrap_starter" -v p="$wrap_plain" 'BEGIN { printf "%.2f", o + s - p }')
	summary+=("| $server | $own % | $wrap_starter % | $wrap_plain % | **$share %** | $(awk -v s="$share" 'BEGIN { printf "%.4f", 1 - s / 100 }') |")
	while read -r count method; do
		details+=("| $server | $method | $count | $(pct "$count" "${samples[starter]}") % |")
	done < <(awk '{ n = $1; $1 = ""; sub(/^ /, ""); c[$0] += n } END { for (m in c) print c[m], m }' \
		"$OUT/$server-starter-methods.txt" | sort -rn | head -15)
	unset samples ours wrapper
done

echo
echo "GET /work?ms=0, wrk -t$THREADS -c$CONNS -d$DURATION per process after a $WARMUP warm-up, $FORKS forks (a process with the starter and one without, one after the other), JFR execution samples every $PERIOD, $(nproc) CPUs, JVM $SERVER_JVM, $("$JAVA" -version 2>&1 | head -1) (logs: $OUT)"
echo
echo "| server | fork | side | req/s while recording | samples | starter | starter share | wrapper | wrapper share |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "| server | starter's own code (starter process) | servlet wrappers, starter process | servlet wrappers, plain process | starter's share: own code + wrapper difference | throughput ratio it implies |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${summary[@]}"
echo
echo "| server | starter method (top frame outside the JDK) | samples | share of the starter process's samples |"
echo "|---|---|---|---|"
[ ${#details[@]} -eq 0 ] || printf '%s\n' "${details[@]}"
