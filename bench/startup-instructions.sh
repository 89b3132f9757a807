#!/usr/bin/env bash
# Startup overhead counted in instructions: what adding the starter costs an application's
# startup, as the number of instructions the whole JVM process (every thread: the main one,
# the compiler, the collector, the server's) executes from its start to "Started", counted
# by valgrind's cachegrind without simulating the caches. The count moves by under half a
# point from start to start where the start's time moves by 10 % on a shared machine: it is
# the figure closest to the time that the machine's noise does not swamp.
#
# The subject is bench/startup-app built with the starter's jars and without them, as in
# startup-overhead.sh. The JVM runs with C1 only and -Xbatch (each method compiled by the
# thread that needs it, at the same point of every start) and the serial collector, so
# that a start's count repeats to within about 0.4 % when started the same way;
# -Dbench.halt-when-started=true ends the process right after its "Started after CPU time"
# line, so the count covers the startup and nothing after. Under valgrind a start takes
# about a minute. The sides of a round run at the same time, so that both see the same
# conditions: what runs beside a start moves its count by up to 1 % (the JVM's timed work,
# its periodic tasks and spinning, depends on how long the start takes).
# Prints each start's count (and the main thread's allocation, printed by the process),
# then per server the per-round ratios against the application without the starter, their
# median and their range. Exits 2 if the harness failed.
#
#   bench/startup-instructions.sh                       # both servers, 3 rounds
#   SERVERS=tomcat ROUNDS=5 bench/startup-instructions.sh
#   SIDES="without with disabled" bench/startup-instructions.sh   # also graceful.shutdown.enabled=false
#
# Settings (environment), defaults in brackets:
#   SERVERS [tomcat netty]  ROUNDS [3]  SIDES [without with]  SERVER_JVM [-Xms512m -Xmx512m]
#   JAVA [java]  TOMCAT_OPTS []  NETTY_OPTS [--spring.main.web-application-type=reactive]
#   LAYOUT [jar]: jar, extracted, cds or aot (Java 25), as in startup-overhead.sh.
#   THREADS [all]: all counts every thread of the process (cachegrind). main counts each
#     thread on its own (callgrind --separate-threads, about twice as slow) and reports the
#     main thread's count, which refreshes the context (the whole process's beside it),
#     with -Dbench.await-preinit=true: the main thread waits, once the application is
#     prepared, for Spring Boot's background preinitialization to end, as it has by then
#     in a start with a processor to spare. Under valgrind, which runs one thread at a
#     time, what that thread loads would otherwise depend on which thread valgrind ran.
#   SKIP_BUILD [unset]: 1 = use the jars already in bench/startup-app/target.
# Needs valgrind (apt-get install -y valgrind).
# Logs: bench/target/startup-instructions/<timestamp>/<server>-<side>-<round>.{log,cg}
set -euo pipefail
cd "$(dirname "$0")/.."
# median, round_median, round_ratios, startup_bench_*
. bench/common.sh

ROUNDS=${ROUNDS:-3}
# One start under valgrind: about a minute on 2 cores, three at a time take longer.
START_TIMEOUT=900
# The JIT writes and patches code (smc-check); the JVM's signal handler reads the registers
# at a faulting access (implicit null checks, safepoint polls), which valgrind keeps exact
# only with allregs-at-mem-access: without it compiled loops crash the JVM.
THREADS=${THREADS:-all}
VALGRIND_OPTS=(--smc-check=all-non-file --vex-iropt-register-updates=allregs-at-mem-access)
case "$THREADS" in
	all) VALGRIND=(valgrind --tool=cachegrind --cache-sim=no "${VALGRIND_OPTS[@]}"); THREAD_OPTS="" ;;
	main) VALGRIND=(valgrind --tool=callgrind --separate-threads=yes "${VALGRIND_OPTS[@]}")
		THREAD_OPTS="-Dbench.await-preinit=true" ;;
	*) echo "startup-instructions: THREADS must be all or main, not '$THREADS'" >&2; exit 2 ;;
esac
STEADY_JVM="-XX:TieredStopAtLevel=1 -Xbatch -XX:+UseSerialGC"

OUT=bench/target/startup-instructions/$(date -u +%Y%m%dT%H%M%SZ)
if [ "$THREADS" = main ]; then COUNTED="main thread"; else COUNTED="whole process"; fi

die() { echo "startup-instructions: $*" >&2; exit 2; }
command -v valgrind >/dev/null || die "valgrind not found: apt-get install -y valgrind"
# SERVERS, SIDES, SERVER_JVM, JAVA, TOMCAT_OPTS, NETTY_OPTS, LAYOUT, JARS
startup_bench_settings
[[ " $SIDES " == *" without "* ]] || die "SIDES must include 'without', the side the ratios are against"
pids=()
stop_all() { [ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2>/dev/null || true; }
startup_bench_prepare
trap 'stop_all' EXIT

# count_once <server> <side> <round>: one start under valgrind, in the background; its log
# is $OUT/<server>-<side>-<round>.log.
count_once() {
	local server=$1 side=$2 round=$3 base
	base=$OUT/$server-$side-$round
	startup_bench_args "$server" "$side"
	# shellcheck disable=SC2086
	timeout "$START_TIMEOUT" "${VALGRIND[@]}" --"${VALGRIND[1]#--tool=}"-out-file="$base.cg" "$JAVA" $SERVER_JVM \
		$STEADY_JVM $THREAD_OPTS -Dbench.halt-when-started=true "${startup_args[@]}" >"$base.log" 2>&1 &
	pids+=($!)
}

# counted <log> -> prints "<instructions> <allocated_kb> <process_instructions>", or dies
# naming the log. With THREADS=main the first is the main thread's: valgrind's thread 2 (the
# launcher's thread, 1, starts the JVM's main thread first).
counted() {
	local log=$1 instructions allocated process
	grep -q 'Started after CPU time' "$log" || { tail -20 "$log" >&2; die "no 'Started after CPU time' line in $log"; }
	if [ "$THREADS" = main ]; then
		instructions=$(grep -m1 -oP '^summary: \K[0-9]+' "${log%.log}.cg-02" || true)
		process=$(cat "${log%.log}".cg-* | grep -oP '^summary: \K[0-9]+' | awk '{ n += $1 } END { print n }')
	else
		instructions=$(grep -oP 'I\s+refs:\s+\K[0-9,]+' "$log" | tr -d , || true)
		process=$instructions
	fi
	allocated=$(grep -oP -m1 'main thread allocated \K[0-9]+' "$log" || true)
	[ -n "$instructions" ] && [ -n "$allocated" ] || die "no instruction count in $log"
	echo "$instructions $allocated $process"
}

ratio() { awk -v s="$1" -v p="$2" 'BEGIN { printf "%.4f", s / p }'; }
giga() { awk -v n="$1" 'BEGIN { printf "%.3f", n / 1e9 }'; }
# range: reads numbers, prints "[min, max]".
range() { sort -g | awk 'NR == 1 { low = $1 } { high = $1 } END { printf "[%s, %s]\n", low, high }'; }

read -r -a sides <<<"$SIDES"
rows=()
summary=()
for server in $SERVERS; do
	declare -A instructions=() allocated=() process=()
	for round in $(seq 1 "$ROUNDS"); do
		pids=()
		for side in "${sides[@]}"; do count_once "$server" "$side" "$round"; done
		for pid in "${pids[@]}"; do wait "$pid" || true; done
		pids=()
		row="| $server | $round |"
		for side in "${sides[@]}"; do
			# Not read from a process substitution: counted's die must end the script.
			result=$(counted "$OUT/$server-$side-$round.log")
			read -r i a p <<<"$result"
			instructions[$side,$round]=$i
			allocated[$side,$round]=$a
			process[$side,$round]=$p
			row+=" $(giga "$i") / $a |"
			echo "   $server round $round $side: $(giga "$i") G instructions ($COUNTED), $(giga "$p") G the whole process," \
				"main thread allocated $a KB" >&2
		done
		for side in "${sides[@]}"; do
			[ "$side" != without ] || continue
			row+=" $(ratio "${instructions[$side,$round]}" "${instructions[without,$round]}") / $(ratio "${allocated[$side,$round]}" "${allocated[without,$round]}") |"
		done
		rows+=("$row")
	done
	for side in "${sides[@]}"; do
		[ "$side" != without ] || continue
		ri=$(round_ratios instructions "$side")
		ra=$(round_ratios allocated "$side")
		rp=$(round_ratios process "$side")
		summary+=("| $server | $side / without | $(giga "$(round_median instructions "$side")") | $(giga "$(round_median instructions without)") | **$(median <<<"$ri")** $(range <<<"$ri") | $(median <<<"$ra") $(range <<<"$ra") | $(median <<<"$rp") $(range <<<"$rp") |")
	done
	unset instructions allocated process
done

echo
echo "Startup in instructions ($LAYOUT layout), $ROUNDS rounds, JVM $SERVER_JVM $STEADY_JVM, $("$JAVA" -version 2>&1 | head -1), $(valgrind --version) (logs: $OUT)"
echo "Each cell: G instructions ($COUNTED), start to 'Started' / main thread allocated (KB); ratios against the application without the starter."
echo
header="| server | round |"
rule="|---|---|"
for side in "${sides[@]}"; do header+=" $side |"; rule+="---|"; done
for side in "${sides[@]}"; do [ "$side" = without ] || { header+=" $side / without |"; rule+="---|"; }; done
echo "$header"
echo "$rule"
printf '%s\n' "${rows[@]}"
echo
echo "| server | sides | median G instructions | median G instructions without | instructions: median per-round ratio [min, max] | allocated: median per-round ratio [min, max] | whole process: median per-round ratio [min, max] |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${summary[@]}"
