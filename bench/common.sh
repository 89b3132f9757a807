# Helpers shared by the benchmark scripts; sourced, not run.

now_ms() { date +%s%3N; }
load_avg() { cut -d' ' -f1 /proc/loadavg; }
# secs <duration> -> whole seconds of a wrk-style duration (500ms, 8s, 2m)
secs() { local d=$1; case $d in *ms) echo $(( ${d%ms} / 1000 )) ;; *s) echo "${d%s}" ;; *m) echo $(( ${d%m} * 60 )) ;; *) echo "$d" ;; esac; }
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) { print "?"; exit } if (NR % 2) print a[(NR + 1) / 2]; else printf "%.6g\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

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
