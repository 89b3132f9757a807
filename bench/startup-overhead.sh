#!/usr/bin/env bash
# Startup overhead: what adding the starter costs an application's startup.
#
# The subject is bench/startup-app, an ordinary Spring MVC + WebFlux + Actuator service with
# no code of the starter's, built twice (Maven profile "bench"): with the starter's two jars
# and without them; nothing else differs. For each server (Tomcat, Reactor Netty) and each
# round the two jars start one after the other, alternating which goes first (odd rounds
# without first, even rounds with first), one instance at a time on a free 127.0.0.1 port,
# each killed once started. Three figures per start, all printed by the process itself:
#   - "Started": the JVM uptime in Spring Boot's "Started ... (process running for X)";
#   - "CPU": the CPU time of the whole process (all threads) at that moment, less
#     sensitive than the wall time to what else the machine runs;
#   - "Allocated": the bytes the main thread (where the context is refreshed) allocated
#     up to then, the work done measured in a way the rest of the machine does not
#     disturb (within 0.5 % from run to run, against 5-15 % for the times on a shared
#     machine).
# LAYOUT=extracted runs both applications the way Spring Boot recommends for production
# (java -Djarmode=tools -jar app.jar extract: the application jar and its libraries as
# plain jars) instead of as one executable jar with nested jars, whose class loader makes
# every class looked up cost more the further down the class path its jar is. LAYOUT=cds
# adds a class data sharing archive to it, one per side and server, from a training run
# (-XX:ArchiveClassesAtExit with -Dspring.context.exit=onRefresh), as Spring Boot documents
# for a faster start; the measured starts use it with -Xshare:on. LAYOUT=aot does the same
# with Java 25's ahead-of-time cache (-XX:AOTCacheOutput, then -XX:AOTMode=on): set JAVA to
# a Java 25.
# SIDES="without with disabled" adds a third side: the jar with the starter and
# graceful.shutdown.enabled=false.
# One start per side before the rounds warms the page cache and is not counted.
# Prints the rounds, then per server the medians and the median of the per-round ratios
# with/without and its 95 % interval (order statistics of the per-round ratios, from 6
# rounds). Target: median per-round ratio of "Started" at most 1.01. Exits 2 if the harness
# failed.
#
#   bench/startup-overhead.sh                        # both servers, 10 rounds
#   SERVERS=tomcat ROUNDS=20 bench/startup-overhead.sh
#   MAX_LOAD=1.5 bench/startup-overhead.sh           # on a shared machine: wait for a quiet moment
#
# Settings (environment), defaults in brackets:
#   SERVERS [tomcat netty]  ROUNDS [10]  SIDES [without with]  SERVER_JVM [-Xms512m -Xmx512m]
#   JAVA [java]  TOMCAT_OPTS []  NETTY_OPTS [--spring.main.web-application-type=reactive]
#   LAYOUT [jar]: jar, extracted, cds or aot (Java 25).
#   MAX_LOAD [unset] and LOAD_WAIT [300]: before each round wait, at most LOAD_WAIT seconds,
#   until the 1-minute load average is at most MAX_LOAD.
#   SKIP_BUILD [unset]: 1 = use the jars already in bench/startup-app/target.
# Logs: bench/target/startup-overhead/<timestamp>/<server>-<side>-<round>.log
set -euo pipefail
cd "$(dirname "$0")/.."
# now_ms, load_avg, median, wait_for_quiet, start_until_started, startup_bench_*
. bench/common.sh

ROUNDS=${ROUNDS:-10}
MAX_LOAD=${MAX_LOAD:-}
LOAD_WAIT=${LOAD_WAIT:-300}
START_TIMEOUT=90

OUT=bench/target/startup-overhead/$(date -u +%Y%m%dT%H%M%SZ)

die() { echo "startup-overhead: $*" >&2; exit 2; }
# SERVERS, SIDES, SERVER_JVM, JAVA, TOMCAT_OPTS, NETTY_OPTS, LAYOUT, JARS
startup_bench_settings
startup_bench_prepare

ratio() { awk -v s="$1" -v p="$2" 'BEGIN { printf "%.3f", s / p }'; }
# interval: reads numbers, prints "[low, high]", the approximate 95 % interval of their
# median from order statistics, or "-" under 6 numbers.
interval() {
	sort -g | awk '{ a[NR] = $1 } END {
		k = int((NR - 1.96 * sqrt(NR)) / 2)
		if (k < 1) { print "-"; exit }
		printf "[%s, %s]\n", a[k], a[NR - k + 1] }'
}

# start_once <server> <side> <label> -> prints "<started_ms> <cpu_ms> <allocated_kb>"
start_once() {
	local server=$1 side=$2 label=$3 log
	log=$OUT/$server-$side-$label.log
	startup_bench_args "$server" "$side"
	# shellcheck disable=SC2086
	start_until_started "$log" "$server $side" "$JAVA" $SERVER_JVM "${startup_args[@]}"
	local started cpu allocated
	started=$(grep -oP -m1 'Started \S+ in [0-9.]+ seconds \(process running for \K[0-9.]+' "$log" || true)
	cpu=$(grep -oP -m1 'Started after CPU time \K[0-9]+' "$log" || true)
	allocated=$(grep -oP -m1 'main thread allocated \K[0-9]+' "$log" || true)
	[ -n "$started" ] && [ -n "$cpu" ] && [ -n "$allocated" ] \
		|| die "no 'process running for' or 'CPU time' line in $log"
	echo "$(awk -v s="$started" 'BEGIN { printf "%d", s * 1000 }') $cpu $allocated"
}

read -r -a sides <<<"$SIDES"
rows=()
summary=()
for server in $SERVERS; do
	echo "== $server: warm-up start per side (not counted)" >&2
	for side in "${sides[@]}"; do start_once "$server" "$side" warmup >/dev/null; done
	declare -A started=() cpu=() allocated=()
	for round in $(seq 1 "$ROUNDS"); do
		wait_for_quiet
		order=("${sides[@]}")
		if (( round % 2 == 0 )); then
			order=()
			for (( i = ${#sides[@]} - 1; i >= 0; i-- )); do order+=("${sides[$i]}"); done
		fi
		load=$(load_avg)
		row="| $server | $round | ${order[*]} |"
		for side in "${order[@]}"; do
			# Not read from a process substitution: start_once's die must end the script.
			result=$(start_once "$server" "$side" "$round")
			read -r s c a <<<"$result"
			started[$side,$round]=$s
			cpu[$side,$round]=$c
			allocated[$side,$round]=$a
			echo "   $server round $round $side: Started at JVM uptime $s ms, CPU $c ms, main thread allocated $a KB (load $(load_avg))" >&2
		done
		for side in "${sides[@]}"; do row+=" ${started[$side,$round]} / ${cpu[$side,$round]} / ${allocated[$side,$round]} |"; done
		for side in "${sides[@]:1}"; do
			row+=" $(ratio "${started[$side,$round]}" "${started[without,$round]}") / $(ratio "${cpu[$side,$round]}" "${cpu[without,$round]}") / $(ratio "${allocated[$side,$round]}" "${allocated[without,$round]}") |"
		done
		rows+=("$row $load |")
	done
	for side in "${sides[@]:1}"; do
		rs=$(round_ratios started "$side")
		rc=$(round_ratios cpu "$side")
		ra=$(round_ratios allocated "$side")
		summary+=("| $server | $side / without | $(round_median started "$side") | $(round_median started without) | **$(median <<<"$rs")** $(interval <<<"$rs") | $(median <<<"$rc") $(interval <<<"$rc") | $(median <<<"$ra") $(interval <<<"$ra") |")
	done
	unset started cpu allocated
done

echo
echo "Startup ($LAYOUT layout), $ROUNDS rounds alternating, $(nproc) CPUs, JVM $SERVER_JVM, $("$JAVA" -version 2>&1 | head -1) (logs: $OUT)"
echo "Each cell: Started (JVM uptime, ms) / CPU time (ms) / main thread allocated (KB); ratios against the application without the starter."
echo
header="| server | round | order |"
rule="|---|---|---|"
for side in "${sides[@]}"; do header+=" $side |"; rule+="---|"; done
for side in "${sides[@]:1}"; do header+=" $side / without |"; rule+="---|"; done
echo "$header load avg |"
echo "$rule---|"
printf '%s\n' "${rows[@]}"
echo
echo "| server | sides | median Started (ms) | median Started without (ms) | Started: median per-round ratio [95 % interval] | CPU: median per-round ratio [95 % interval] | Allocated: median per-round ratio [95 % interval] |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${summary[@]}"
echo
echo "Target: Started, with / without, median per-round ratio <= 1.01."
