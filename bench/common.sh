# Helpers shared by the benchmark scripts; sourced, not run.

now_ms() { date +%s%3N; }
load_avg() { cut -d' ' -f1 /proc/loadavg; }
# secs <duration> -> whole seconds of a wrk-style duration (500ms, 8s, 2m)
secs() { local d=$1; case $d in *ms) echo $(( ${d%ms} / 1000 )) ;; *s) echo "${d%s}" ;; *m) echo $(( ${d%m} * 60 )) ;; *) echo "$d" ;; esac; }
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) { print "?"; exit } if (NR % 2) print a[(NR + 1) / 2]; else printf "%.6g\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
# round_median <array> <side>: the median over rounds 1..ROUNDS of <array>[<side>,<round>], an
# associative array of the caller's.
round_median() { local -n values=$1; local r; for r in $(seq 1 "$ROUNDS"); do echo "${values[$2,$r]}"; done | median; }
# round_ratios <array> <side>: the ratios <array>[<side>,<round>] / <array>[without,<round>],
# one a line, as the caller's ratio prints them.
round_ratios() {
	local -n values=$1
	local r
	for r in $(seq 1 "$ROUNDS"); do ratio "${values[$2,$r]}" "${values[without,$r]}"; echo; done
}

# build_jar_if_missing: build the sample application's jar ($JAR), offline and without the
# tests, unless it is there already; dies (the script's die) if the build fails.
build_jar_if_missing() {
	[ -f "$JAR" ] && return 0
	echo "Building $JAR" >&2
	mvn -B -o -q package -DskipTests || die "build failed"
}

# wait_for_port <pid> <log> <what> [poll seconds] [deadline ms] -> sets started_port to the port
# the sample application logged ("started on port N"); dies (the script's die) if the process
# exits first or START_TIMEOUT passes (by default from now; startup-overhead.sh counts from the
# launch).
wait_for_port() {
	local pid=$1 log=$2 what=$3 poll=${4:-0.2} deadline=${5:-$(( $(now_ms) + START_TIMEOUT * 1000 ))}
	started_port=""
	while [ -z "$started_port" ]; do
		kill -0 "$pid" 2>/dev/null || { tail -20 "$log" >&2; die "$what did not start"; }
		[ "$(now_ms)" -lt "$deadline" ] || die "$what did not start within ${START_TIMEOUT}s"
		sleep "$poll"
		started_port=$(grep -oP -m1 'started on port \K[0-9]+' "$log" || true)
	done
}

# With MAX_LOAD set, wait (at most LOAD_WAIT seconds) until the 1-minute load average is at
# most MAX_LOAD: a shared machine's noise otherwise swamps the figures.
wait_for_quiet() {
	[ -n "$MAX_LOAD" ] || return 0
	local until_ms=$(( $(now_ms) + LOAD_WAIT * 1000 ))
	while awk -v l="$(load_avg)" -v m="$MAX_LOAD" 'BEGIN { exit !(l > m) }'; do
		if [ "$(now_ms)" -ge "$until_ms" ]; then
			echo "   load average still $(load_avg) > $MAX_LOAD after ${LOAD_WAIT}s; running anyway" >&2
			return 0
		fi
		sleep 5
	done
}

# start_until_started <log> <what> <command...>: runs the startup bench application
# (bench/startup-app) with its output in <log> until it prints its "Started after CPU time"
# line, then kills it (with ON_STARTED set, after running "$ON_STARTED <pid>"). server_pid
# holds its pid meanwhile, for the script's exit trap. Dies (the script's die) if it exits
# first or START_TIMEOUT passes.
start_until_started() {
	local log=$1 what=$2
	shift 2
	"$@" >"$log" 2>&1 &
	server_pid=$!
	local deadline=$(( $(now_ms) + START_TIMEOUT * 1000 ))
	until grep -q 'Started after CPU time' "$log"; do
		kill -0 "$server_pid" 2>/dev/null || { tail -20 "$log" >&2; die "$what exited before it started"; }
		[ "$(now_ms)" -lt "$deadline" ] || die "$what did not start within ${START_TIMEOUT}s"
		sleep 0.05
	done
	[ -z "${ON_STARTED:-}" ] || "$ON_STARTED" "$server_pid"
	kill -KILL "$server_pid" 2>/dev/null || true
	wait "$server_pid" 2>/dev/null || true
	server_pid=""
}

# startup_bench_prepare: for the startup benchmarks (bench/startup-app, jars in $JARS): checks
# LAYOUT (jar, extracted, cds or aot), creates $OUT, builds both jars unless SKIP_BUILD=1, and kills the
# application being started ($server_pid) on exit, whatever the exit path. Dies (the script's die)
# on failure. Each side starts from a path of the same length ($OUT/with, $OUT/none): Spring Boot
# allocates, for each class and resource it loads, an amount that grows with the length of the
# jar's path (about 0.4 MB per character in all on the bench application), and the two jars' own
# names differ by three characters. With LAYOUT=extracted, each side is extracted into
# $OUT/<side>/extracted. LAYOUT=cds and LAYOUT=aot (startup-overhead.sh and
# startup-instructions.sh, which set SERVERS) are the extracted layout with a class data
# sharing archive (cds) or, on Java 25, an ahead-of-time cache (aot) for each side and
# server, made by a training run as Spring Boot documents them (-XX:ArchiveClassesAtExit or
# -XX:AOTCacheOutput, with -Dspring.context.exit=onRefresh): $OUT/<side>/extracted/<server>.<layout>.
startup_bench_prepare() {
	case $LAYOUT in jar | extracted | cds | aot) ;; *) die "unknown LAYOUT '$LAYOUT' (jar, extracted, cds or aot)" ;; esac
	case $LAYOUT in cds | aot) [ -n "${SERVERS:-}" ] \
		|| die "LAYOUT=$LAYOUT needs SERVERS (startup-overhead.sh, startup-instructions.sh)" ;; esac
	mkdir -p "$OUT"
	if [ "${SKIP_BUILD:-}" != 1 ]; then
		echo "Building $JARS/startup-bench-{with,without}-starter.jar" >&2
		mvn -B -o -q -Pbench package -DskipTests -pl bench/startup-app -am || die "build failed"
	fi
	local side dir
	for side in with without; do
		[ -f "$JARS/startup-bench-$side-starter.jar" ] \
			|| die "$JARS/startup-bench-$side-starter.jar not found (run without SKIP_BUILD)"
		dir=$OUT/$(startup_bench_dir "$side")
		rm -rf "$dir" && mkdir -p "$dir" && cp "$JARS/startup-bench-$side-starter.jar" "$dir/app.jar" \
			|| die "copying the $side jar failed"
		[ "$LAYOUT" != jar ] || continue
		"$JAVA" -Djarmode=tools -jar "$dir/app.jar" extract --destination "$dir/extracted" >/dev/null \
			|| die "extracting the $side jar failed"
		[ "$LAYOUT" != extracted ] || continue
		local server output
		for server in $SERVERS; do
			startup_bench_args "$server" "$side"
			case $LAYOUT in
			cds) output=-XX:ArchiveClassesAtExit="$dir/extracted/$server.cds" ;;
			*) output=-XX:AOTCacheOutput="$dir/extracted/$server.aot" ;;
			esac
			# shellcheck disable=SC2086
			"$JAVA" $SERVER_JVM "$output" -Dspring.context.exit=onRefresh \
				"${startup_args[@]}" >"$dir/extracted/$server-training.log" 2>&1 \
				&& [ -f "$dir/extracted/$server.$LAYOUT" ] \
				|| { tail -20 "$dir/extracted/$server-training.log" >&2; die "the $server training run of the $side jar failed"; }
		done
	done
	server_pid=""
	trap 'kill_started_server' EXIT
	trap 'exit 130' INT TERM
}
kill_started_server() { [ -z "$server_pid" ] || kill -KILL "$server_pid" 2>/dev/null || true; }

# startup_bench_dir <side>: the directory under $OUT of <side> (with, without); the names are of one length.
startup_bench_dir() { case $1 in with) echo with ;; *) echo none ;; esac; }

# startup_bench_jar <side>: prints the jar that starts <side> (with, without) in LAYOUT.
startup_bench_jar() {
	if [ "$LAYOUT" != jar ]; then
		echo "$OUT/$(startup_bench_dir "$1")/extracted/app.jar"
	else
		echo "$OUT/$(startup_bench_dir "$1")/app.jar"
	fi
}

# startup_bench_settings: the settings startup-overhead.sh and startup-instructions.sh share,
# set to their defaults where unset (SERVERS, SIDES, SERVER_JVM, JAVA, TOMCAT_OPTS,
# NETTY_OPTS, LAYOUT), and JARS. Dies (the script's die) on an unknown side.
startup_bench_settings() {
	SERVERS=${SERVERS:-"tomcat netty"}
	SIDES=${SIDES:-"without with"}
	SERVER_JVM=${SERVER_JVM:-"-Xms512m -Xmx512m"}
	JAVA=${JAVA:-java}
	TOMCAT_OPTS=${TOMCAT_OPTS:-}
	NETTY_OPTS=${NETTY_OPTS:-"--spring.main.web-application-type=reactive"}
	LAYOUT=${LAYOUT:-jar}
	JARS=bench/startup-app/target
	local side
	for side in $SIDES; do
		case $side in without | with | disabled) ;; *) die "unknown side '$side' (without, with, disabled)" ;; esac
	done
}

# startup_bench_args <server> <side>: sets the array startup_args to what follows the JVM's
# options to start bench/startup-app on <server> (tomcat, netty) as <side> (without, with,
# disabled: the jar with the starter and graceful.shutdown.enabled=false) in LAYOUT, on a
# free 127.0.0.1 port. Dies (the script's die) on an unknown server.
startup_bench_args() {
	local server=$1 side=$2 jar
	case $side in without) jar=$(startup_bench_jar without) ;; *) jar=$(startup_bench_jar with) ;; esac
	startup_args=()
	# The archive is absent while startup_bench_prepare's training run makes it; where it
	# exists the start fails rather than run without it.
	if [ -f "${jar%/*}/$server.$LAYOUT" ]; then
		case $LAYOUT in
		cds) startup_args=(-Xshare:on -XX:SharedArchiveFile="${jar%/*}/$server.cds") ;;
		aot) startup_args=(-XX:AOTMode=on -XX:AOTCache="${jar%/*}/$server.aot") ;;
		esac
	fi
	# shellcheck disable=SC2206
	case $server in
	tomcat) startup_args+=(-jar "$jar" $TOMCAT_OPTS) ;;
	netty) startup_args+=(-jar "$jar" $NETTY_OPTS) ;;
	*) die "unknown server '$server' (tomcat or netty)" ;;
	esac
	startup_args+=(--server.address=127.0.0.1 --server.port=0)
	[ "$side" != disabled ] || startup_args+=(--graceful.shutdown.enabled=false)
}
