#!/usr/bin/env bash
# bench/jmeter.sh — the same closed-loop plan run by Apache JMeter 5.6.3
# (non-GUI) and by loadgen against one nginx, each on one core.
#
# Usage: bench/jmeter.sh [--update-results] [--quick] [--wait-idle] [--runs N]
#
#   --update-results  also replace (or add) the "JMeter 5.6.3 vs loadgen"
#                     section of bench/RESULTS.md
#   --wait-idle       before each run, wait (up to 5 minutes) until the CPUs
#                     are at least 90% idle, and repeat a run (at most 3
#                     times) when other processes used the CPUs during it
#   --quick           smoke run: 5 s per run, one run per tool unless --runs
#                     (numbers are not comparable with a full run)
#   --runs N          runs per tool (default 2), alternating; medians reported
#
# Environment: LOADGEN_BIN=path runs that loadgen binary instead of building
# ./cmd/loadgen.
#
# One loadgen plan (constant-vus, 50 VUs, 30 s, GET of nginx's "hello") is run
# by `loadgen run` and, exported with `loadgen export jmx`, by JMeter through
# compiler/jmeterharness (`jmeter -n -t plan.jmx -l results.jtl`) with the
# stock jmeter script's JVM flags. nginx is pinned to CPU 0, each tool to CPU
# 1; every request goes to 127.0.0.1. Reported: requests/s, CPU seconds per
# 100k requests, peak RSS and time to first request. A tool that is missing
# or fails prints "SKIPPED: reason". About 3 minutes for a full run. The
# output is written to bench/.work/jmeter.txt. See bench/README.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
WORK=$BENCH/.work
BIN=$WORK/bin
NGX=$WORK/nginx-jmeter
OUT=$WORK/jmeter.txt
HARNESS_SRC=$ROOT/compiler/jmeterharness
HARNESS=$WORK/jmeterharness # a private copy: go tests build the original concurrently
RUNS_DIR=$WORK/runs/jmeter

# Its own port, so that a concurrent bench/run.sh does not make it fail; the
# server is the same (lib.sh's start_nginx).
NGINX_PORT=18082
NGINX_URL=http://127.0.0.1:$NGINX_PORT
SERVER_CPU=0
CLIENT_CPU=1

VUS=50 DURATION_S=30 RUNS=2

# The JVM options of JMeter 5.6.3's stock bin/jmeter script (HEAP, GC_ALGO,
# DUMP, SYSTEM_PROPS, JMETER_LANGUAGE defaults; its --add-opens options only
# matter to the GUI).
JMETER_JVM=(-server -XX:+HeapDumpOnOutOfMemoryError
	-Xms1g -Xmx1g -XX:MaxMetaspaceSize=256m
	-XX:+UseG1GC -XX:MaxGCPauseMillis=100 -XX:G1ReservePercent=20
	-Djava.security.egd=file:/dev/urandom -Duser.language=en -Duser.region=EN)

# Goals (loadgen against JMeter).
GOAL_CPU=10 GOAL_RSS=20 GOAL_RPS=3

UPDATE_RESULTS=0 QUICK=0 WAIT_IDLE=0 RUNS_SET=0
while (($#)); do
	case $1 in
	--update-results) UPDATE_RESULTS=1 ;;
	--quick) QUICK=1 ;;
	--wait-idle) WAIT_IDLE=1 ;;
	--runs)
		RUNS=${2:?--runs needs a number} RUNS_SET=1
		shift
		;;
	-h | --help)
		sed -n '2,26p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "jmeter.sh: unknown argument $1 (try --help)" >&2
		exit 2
		;;
	esac
	shift
done
[[ $RUNS =~ ^[0-9]+$ && $RUNS -gt 0 ]] || {
	echo "jmeter.sh: --runs must be a positive integer" >&2
	exit 2
}
if ((QUICK)); then
	DURATION_S=5
	((RUNS_SET)) || RUNS=1
fi

NGINX_PID=
LOADGEN=
TOOL_PID= # the running tool's `timeout` (leader of its process group)

# shellcheck source=bench/lib.sh
. "$BENCH/lib.sh"

# stop_tool: stop the running tool and everything under it. timeout passes
# TERM on to its process group (time, taskset → java or loadgen).
stop_tool() {
	local pid=$TOOL_PID i
	[[ -n $pid ]] || return 0
	TOOL_PID=
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL -- "-$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

cleanup() {
	stop_tool
	stop_nginx
}

# now_ms: wall clock in ms since the epoch, without forking.
now_ms() {
	local t=${EPOCHREALTIME//[!0-9]/}
	echo $((t / 1000))
}

# cpu_ticks: busy CPU time of the whole machine since boot, in clock ticks.
cpu_ticks() {
	local c
	read -ra c < <(grep -m1 '^cpu ' /proc/stat)
	echo $((c[1] + c[2] + c[3] + c[6] + c[7] + c[8]))
}

# nginx_ticks: CPU time of nginx (master and worker), in clock ticks.
nginx_ticks() {
	local f st t=0
	[[ -n $NGINX_PID ]] || {
		echo 0
		return
	}
	for f in /proc/[0-9]*/stat; do
		read -ra st 2>/dev/null <"$f" || continue
		# pid, (comm), state, ppid, ... utime (14), stime (15); nginx's comm has no spaces
		if [[ ${st[0]} == "$NGINX_PID" || ${st[3]} == "$NGINX_PID" ]]; then
			t=$((t + st[13] + st[14]))
		fi
	done
	echo "$t"
}
CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)

# median N...: the median of numbers ("n/a" ignored), or n/a.
median() {
	printf '%s\n' "$@" | grep -v '^n/a$' | sort -g | awk '
		{ v[NR] = $1 }
		END {
			if (NR == 0) { print "n/a"; exit }
			if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2
		}'
}

# ------------------------------------------------------------------ build ---

# build_harness: copy compiler/jmeterharness to bench/.work and build it;
# prints "" on success, else the reason. Sets HARNESS_CP.
HARNESS_CP=
build_harness() {
	have java || {
		echo "java is not installed"
		return
	}
	have mvn || {
		echo "mvn is not installed"
		return
	}
	[[ -f $HARNESS_SRC/pom.xml ]] || {
		echo "compiler/jmeterharness is missing"
		return
	}
	mkdir -p "$HARNESS"
	rm -rf "$HARNESS/src" "$HARNESS/pom.xml"
	cp -R "$HARNESS_SRC/pom.xml" "$HARNESS_SRC/src" "$HARNESS/"
	note "building the JMeter harness (mvn)"
	if ! (cd "$HARNESS" && timeout -k 5 900 mvn -q -B -Dstyle.color=never compile dependency:build-classpath \
		-Dmdep.outputFile=target/classpath.txt) >"$WORK/jmeterharness.build.log" 2>&1; then
		echo "mvn failed: $(grep -m1 ERROR "$WORK/jmeterharness.build.log" || first_line "$WORK/jmeterharness.build.log")"
		return
	fi
	[[ -s $HARNESS/target/classpath.txt && -f $HARNESS/target/classes/dev/loadgen/harness/Main.class ]] || {
		echo "mvn left no target/classpath.txt"
		return
	}
}

# ------------------------------------------------------------------- runs ---

# Per-run results, in the order of the runs.
R_TOOL=() R_RUN=() R_IDLE=() R_REQ=() R_FAIL=() R_RPS=() R_RPS2=() R_WALL=() R_CPU=()
R_CPU100K=() R_RSS=() R_FIRST=() R_CONNS=() R_NOTE=() R_OTHERS=() R_NGINX=() R_OWN=() R_DIST=()

RUN_SKIPS=()
run_skip() { RUN_SKIPS+=("SKIPPED: $*"); }

# measure TOOL N: run TOOL (jmeter or loadgen) once, pinned to the client CPU,
# under /usr/bin/time, then analyse its JTL with `loadgen analyze`. Appends a
# row to the R_* arrays, or a SKIPPED line to RUN_SKIPS. Runs in the main
# shell, so that the EXIT trap can stop the tool.
measure() {
	local tool=$1 n=$2 dir=$RUNS_DIR/$1-$2 idle
	rm -rf "$dir"
	mkdir -p "$dir"
	if ((WAIT_IDLE)); then
		wait_idle
	fi
	idle=$(cpu_idle)
	local jtl cmd=()
	case $tool in
	jmeter)
		jtl=$dir/results.jtl
		cmd=(java "${JMETER_JVM[@]}" -cp "$HARNESS_CP" dev.loadgen.harness.Main
			run "$PLAN_JMX" --jtl "$jtl" --log "$dir/jmeter.log" "-Jtarget=$NGINX_URL")
		;;
	loadgen)
		jtl=$dir/out/results.jtl
		cmd=("$LOADGEN" run "$PLAN_YAML" --out "$dir/out" --quiet --no-report)
		;;
	esac
	note "$tool run $n/$RUNS (${DURATION_S}s)"
	# timeout leads its own process group (no --foreground), so stop_tool
	# reaches java; /usr/bin/time is java's or loadgen's parent, and
	# taskset execs the tool: user/sys and max RSS are the tool's.
	local t0 rc=0 busy0 ngx0 busy1 ngx1
	ngx0=$(nginx_ticks) busy0=$(cpu_ticks)
	t0=$(now_ms)
	(cd "$dir" && exec timeout -k 10 $((DURATION_S + 120)) /usr/bin/time -o "$dir/time.txt" -f '%e %U %S %M' \
		taskset -c "$CLIENT_CPU" "${cmd[@]}" >"$dir/stdout.txt" 2>&1) &
	TOOL_PID=$!
	wait "$TOOL_PID" || rc=$?
	TOOL_PID=
	busy1=$(cpu_ticks) ngx1=$(nginx_ticks)
	if [[ ! -s $jtl ]]; then
		run_skip "$tool run $n: no JTL (exit $rc): $(first_line "$dir/stdout.txt")"
		return
	fi
	local note_=
	if ((rc != 0)); then
		note_="exit $rc"
		note "$tool run $n exited $rc, see $dir/stdout.txt; using its JTL"
	fi
	local wall=n/a user=n/a sys=n/a kb=n/a
	if [[ -s $dir/time.txt ]]; then
		read -r wall user sys kb < <(tail -n1 "$dir/time.txt") || true
	fi
	if ! "$LOADGEN" analyze "$jtl" -o "$dir/analysis" >"$dir/analyze.txt" 2>&1 &&
		[[ ! -s $dir/analysis/results_analysis.json ]]; then
		run_skip "$tool run $n: loadgen analyze failed: $(first_line "$dir/analyze.txt")"
		return
	fi
	local aj=$dir/analysis/results_analysis.json req fail rps rps2 start first cpu conns
	req=$(jqn "$aj" .total.samples)
	fail=$(jqn "$aj" .total.failures)
	rps=$(jqn "$aj" .total.throughput)
	# the median per-second rate of the run's second half (whole seconds only):
	# JMeter's JIT warms up during the first seconds
	rps2=$(jqn "$aj" '[.series[1:-1][] | .requests] | .[(length / 2 | floor):] | sort |
		if length == 0 then empty else .[length / 2 | floor] end')
	start=$(jqn "$aj" .start)
	first=n/a
	if [[ $start != n/a ]]; then
		first=$(date -d "$start" +%s%3N 2>/dev/null) || first=n/a
		[[ $first == n/a ]] || first=$((first - t0))
	fi
	cpu=$(calc "$user + $sys")
	# CPU seconds used during the run by anything but the tool and nginx
	# (other people's work, this script's bookkeeping): should be near 0
	local others
	others=$(calc "($busy1 - $busy0 - ($ngx1 - $ngx0)) / $CLK_TCK - $cpu")
	# connections the tool opened: rows with Connect > 0 ms (a lower bound;
	# a connect under 1 ms rounds to 0); 50 means keep-alive held
	conns=$(awk -F, 'NR > 1 && $NF > 0 { c++ } END { print c + 0 }' "$jtl")
	if [[ $fail != 0 && $fail != n/a ]]; then
		note_="${note_:+$note_, }$fail failed: $(jq -r '.errors[0].type // empty' "$aj" 2>/dev/null || true)"
	fi
	M_OK=1
	R_TOOL+=("$tool") R_RUN+=("$n") R_IDLE+=("$idle") R_REQ+=("$req") R_FAIL+=("$fail")
	R_RPS+=("$rps") R_RPS2+=("${rps2:-n/a}") R_WALL+=("$wall") R_CPU+=("$cpu")
	R_CPU100K+=("$(calc "$cpu * 100000 / $req")") R_RSS+=("$(calc "$kb / 1024")")
	R_FIRST+=("$first") R_CONNS+=("$conns") R_NOTE+=("$note_") R_OTHERS+=("$others")
	R_NGINX+=("$(calc "($ngx1 - $ngx0) / $CLK_TCK")")
	# the tool's own start-up figure: loadgen's .run.startup_ms; for JMeter,
	# launch to its "Starting standalone test @ ... (epoch ms)", that is JVM
	# start-up and plan loading
	if [[ $tool == loadgen ]]; then
		R_OWN+=("$(jqn "$dir/out/summary.json" .run.startup_ms)")
	else
		local ts
		ts=$(sed -n 's/^Starting standalone test @ .*(\([0-9]*\))$/\1/p' "$dir/stdout.txt" | head -n1)
		if [[ -n $ts ]]; then R_OWN+=("$((ts - t0))"); else R_OWN+=(n/a); fi
	fi
	local d=0
	disturbed_at $((${#R_TOOL[@]} - 1)) && d=1
	R_DIST+=("$d")
}
M_OK=0

# disturbed_at I: whether run I had company: CPUs less than 90% idle before
# it, or other processes using more than 5% of one CPU during it.
disturbed_at() {
	[[ ${R_IDLE[$1]} != n/a ]] && ((R_IDLE[$1] < 90)) && return 0
	[[ ${R_OTHERS[$1]} != n/a && ${R_WALL[$1]} != n/a ]] &&
		awk -v o="${R_OTHERS[$1]}" -v w="${R_WALL[$1]}" 'BEGIN { exit !(o > 0.05 * w) }'
}

# drop_last: forget the last measured run.
drop_last() {
	local a
	for a in R_TOOL R_RUN R_IDLE R_REQ R_FAIL R_RPS R_RPS2 R_WALL R_CPU R_CPU100K R_RSS R_FIRST \
		R_CONNS R_NOTE R_OTHERS R_NGINX R_OWN R_DIST; do
		unset "${a}[-1]"
	done
}

# run_tool TOOL N: measure; with --wait-idle, repeat a disturbed run (at
# most RETRIES times), waiting for idle CPUs again.
RETRIES=3
run_tool() {
	local try
	for ((try = 1; ; try++)); do
		M_OK=0
		measure "$1" "$2"
		if ((M_OK && WAIT_IDLE && try <= RETRIES && R_DIST[-1])); then
			note "$1 run $2 was disturbed by other processes (other_s ${R_OTHERS[-1]}, idle before ${R_IDLE[-1]}%); repeating it"
			drop_last
			continue
		fi
		break
	done
	if ((M_OK && try > 1)); then
		R_NOTE[-1]="attempt $try${R_NOTE[-1]:+, ${R_NOTE[-1]}}"
	fi
}

# col TOOL ARRAY: the median of one R_* array over TOOL's undisturbed runs,
# or over all of TOOL's runs when every one was disturbed.
col() {
	local tool=$1 i vals=() clean
	local -n arr=$2
	clean=$(clean_runs "$tool")
	for i in "${!R_TOOL[@]}"; do
		[[ ${R_TOOL[$i]} == "$tool" ]] || continue
		((clean == 0 || R_DIST[i] == 0)) && vals+=("${arr[$i]}")
	done
	((${#vals[@]})) || {
		echo n/a
		return
	}
	median "${vals[@]}"
}

# clean_runs TOOL: how many of TOOL's runs were undisturbed.
clean_runs() {
	local i count=0
	for i in "${!R_TOOL[@]}"; do
		[[ ${R_TOOL[$i]} == "$1" ]] && ((R_DIST[i] == 0)) && count=$((count + 1))
	done
	echo "$count"
}

# runs_of TOOL: how many runs of TOOL were measured.
runs_of() {
	local t count=0
	for t in "${R_TOOL[@]}"; do
		[[ $t == "$1" ]] && count=$((count + 1))
	done
	echo "$count"
}

# goal LABEL VALUE MIN: one line of the goals table (PASS when VALUE >= MIN).
goal() {
	local verdict=n/a
	if [[ $2 != n/a ]]; then
		verdict=$(awk -v v="$2" -v m="$3" 'BEGIN { print (v >= m ? "PASS" : "FAIL") }')
	fi
	printf '%-56s %10s  %s\n' "$1" "$2" "$verdict"
}

report() {
	echo "== Machine"
	echo "date:    $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "nproc:   $(nproc)"
	echo "cpu:     $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
	echo "kernel:  $(uname -r)"
	local v
	v=$({ nginx -v || /usr/sbin/nginx -v; } 2>&1 | head -n1) || true
	echo "nginx:   ${v:-n/a}"
	v=$(java -version 2>&1 | sed -n 2p) || true
	echo "java:    ${v:-n/a}"
	v=
	[[ -z $HARNESS_CP ]] || v=$(tr ':' '\n' <<<"$HARNESS_CP" | sed -n 's|.*/ApacheJMeter_core-\(.*\)\.jar$|\1|p' | head -n1)
	echo "jmeter:  ${v:-n/a} (compiler/jmeterharness: JMeter's own entry point, jmeter -n -t PLAN.jmx -l results.jtl)"
	echo "jvm:     ${JMETER_JVM[*]} (the stock bin/jmeter script's)"
	if [[ -z $LOADGEN ]]; then
		v="not built"
	elif [[ -n ${LOADGEN_BIN:-} ]]; then
		v="prebuilt (LOADGEN_BIN), $("$LOADGEN" version 2>/dev/null || true)"
	else
		v="./cmd/loadgen, $("$LOADGEN" version 2>/dev/null || true), $(go version 2>/dev/null | cut -d' ' -f3)"
	fi
	# its size: the pages of the binary it touches count in its RSS
	[[ -z $LOADGEN ]] || v="$v, binary $(calc "$(stat -c %s "$LOADGEN" 2>/dev/null || echo n/a) / 1048576") MiB"
	echo "loadgen: $v"
	echo "mode:    $( ((QUICK)) && echo "quick (durations shortened)" || echo full), $RUNS run(s) per tool, alternating"
	echo "pinning: nginx on CPU $SERVER_CPU, the tool on CPU $CLIENT_CPU (taskset); ulimit -n $(ulimit -n)"
	echo "load:    load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"

	echo
	echo "== Plan: constant-vus $VUS VUs (JMeter: $VUS threads), closed loop, ${DURATION_S}s, GET $NGINX_URL/ (keep-alive)"
	echo "loadgen: loadgen run plan.yaml --out DIR --quiet --no-report (writes results.jtl and latency.hlog)"
	echo "jmeter:  loadgen export jmx plan.yaml -o plan.jmx; jmeter -n -t plan.jmx -l results.jtl -Jtarget=$NGINX_URL"
	echo "         (17-column CSV JTL, non-GUI summariser on, HttpClient4, cookie manager as exported)"
	[[ -n $NGINX_ERR ]] && echo "nginx: SKIPPED: $NGINX_ERR"
	[[ -n $SKIP_JMETER ]] && echo "jmeter: SKIPPED: $SKIP_JMETER"
	[[ -n $SKIP_LOADGEN ]] && echo "loadgen: SKIPPED: $SKIP_LOADGEN"
	[[ -n $SKIP_PLAN ]] && echo "plan: SKIPPED: $SKIP_PLAN"
	((${#RUN_SKIPS[@]} == 0)) || printf '%s\n' "${RUN_SKIPS[@]}"

	echo
	echo "== Runs (each tool pinned to CPU $CLIENT_CPU)"
	printf '%-8s %3s %9s %6s %10s %10s %7s %7s %10s %8s %9s %6s %7s %7s %5s  %s\n' tool run requests failed \
		"requests/s" "2nd-half/s" wall_s cpu_s "cpu_s/100k" "RSS_MB" "first_ms" conns nginx_s other_s idle note
	local i
	for i in "${!R_TOOL[@]}"; do
		printf '%-8s %3s %9s %6s %10s %10s %7s %7s %10s %8s %9s %6s %7s %7s %4s%%  %s\n' "${R_TOOL[$i]}" \
			"${R_RUN[$i]}" "${R_REQ[$i]}" "${R_FAIL[$i]}" "$(fmt0 "${R_RPS[$i]}")" "$(fmt0 "${R_RPS2[$i]}")" \
			"${R_WALL[$i]}" "${R_CPU[$i]}" "${R_CPU100K[$i]}" "${R_RSS[$i]}" "$(fmt0 "${R_FIRST[$i]}")" \
			"${R_CONNS[$i]}" "${R_NGINX[$i]}" "${R_OTHERS[$i]}" "${R_IDLE[$i]}" \
			"$( ((R_DIST[i])) && echo "disturbed${R_NOTE[$i]:+, }")${R_NOTE[$i]}"
	done
	echo "requests, failed, requests/s: \`loadgen analyze\` of each JTL (rows; rows / (last end - first start))"
	echo "2nd-half/s: median per-second rate over the second half of the run (after JMeter's JIT warm-up)"
	echo "cpu_s: user + sys CPU seconds of the whole process (/usr/bin/time); RSS_MB: its peak resident set"
	echo "first_ms: process launch (ms since the epoch, taken just before exec) -> first timeStamp of the JTL"
	echo "conns: JTL rows with Connect > 0 ms (new connections; 50 = keep-alive held)"
	echo "nginx_s: nginx's CPU seconds during the run; other_s: CPU seconds of everything else on the machine"
	echo "during the run (should be near 0; tick accounting makes it a little negative at times);"
	echo "idle: CPUs idle in the second before the run"
	echo "note \"disturbed\": idle < 90% or other_s > 5% of wall_s; the medians leave such runs out when the"
	echo "tool has undisturbed ones"
	local t
	for t in jmeter loadgen; do
		if (($(runs_of "$t") > 0 && $(clean_runs "$t") == 0)); then
			echo "WARNING: every $t run was disturbed by other processes: its numbers are not reliable"
		fi
	done

	local j_rps j_rps2 j_c j_r j_f l_rps l_rps2 l_c l_r l_f
	j_rps=$(col jmeter R_RPS) j_rps2=$(col jmeter R_RPS2) j_c=$(col jmeter R_CPU100K) j_r=$(col jmeter R_RSS) j_f=$(col jmeter R_FIRST)
	l_rps=$(col loadgen R_RPS) l_rps2=$(col loadgen R_RPS2) l_c=$(col loadgen R_CPU100K) l_r=$(col loadgen R_RSS) l_f=$(col loadgen R_FIRST)
	echo
	echo "== Median of the undisturbed runs (jmeter: $(clean_runs jmeter) of $(runs_of jmeter), loadgen: $(clean_runs loadgen) of $(runs_of loadgen))"
	printf '%-22s %12s %12s %12s %12s %14s\n' "" "requests/s" "2nd-half/s" "cpu_s/100k" "peak RSS MB" "first req ms"
	printf '%-22s %12s %12s %12s %12s %14s\n' jmeter "$(fmt0 "$j_rps")" "$(fmt0 "$j_rps2")" "$(fmt "$j_c")" "$(fmt "$j_r")" "$(fmt0 "$j_f")"
	printf '%-22s %12s %12s %12s %12s %14s\n' loadgen "$(fmt0 "$l_rps")" "$(fmt0 "$l_rps2")" "$(fmt "$l_c")" "$(fmt "$l_r")" "$(fmt0 "$l_f")"
	printf '%-22s %12s %12s %12s %12s %14s\n' "jmeter / loadgen" "$(ratio "$j_rps" "$l_rps")" "$(ratio "$j_rps2" "$l_rps2")" \
		"$(ratio "$j_c" "$l_c")" "$(ratio "$j_r" "$l_r")" "$(ratio "$j_f" "$l_f")"
	echo "jmeter: launch to its \"Starting standalone test\" (JVM start-up, plan loading): $(fmt0 "$(col jmeter R_OWN)") ms"
	echo "loadgen: its own .run.startup_ms (process start to first request): $(fmt "$(col loadgen R_OWN)") ms"

	echo
	echo "== Goals (loadgen against JMeter, one core each)"
	goal "CPU per request: jmeter / loadgen >= $GOAL_CPU" "$(calc "$j_c / $l_c")" "$GOAL_CPU"
	goal "peak RSS: jmeter / loadgen >= $GOAL_RSS" "$(calc "$j_r / $l_r")" "$GOAL_RSS"
	goal "throughput: loadgen / jmeter requests/s >= $GOAL_RPS" "$(calc "$l_rps / $j_rps")" "$GOAL_RPS"
}

# -------------------------------------------------------------------- run ---

mkdir -p "$BIN" "$WORK/plans" "$RUNS_DIR"
trap cleanup EXIT
trap 'exit 130' INT TERM

ulimit -n 65535 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

install_packages nginx jq time taskset
have jq || {
	echo "jmeter.sh: jq is required" >&2
	exit 1
}
[[ -x /usr/bin/time ]] || {
	echo "jmeter.sh: /usr/bin/time is required (apt-get install time)" >&2
	exit 1
}
build_loadgen
SKIP_LOADGEN='' SKIP_JMETER='' SKIP_PLAN=''
[[ -n $LOADGEN ]] || SKIP_LOADGEN="loadgen is not available: $(first_line "$WORK/loadgen.build.log")"
SKIP_JMETER=$(build_harness)
[[ -n $SKIP_JMETER ]] || HARNESS_CP=$HARNESS/target/classes:$(tr -d '\n' <"$HARNESS/target/classpath.txt")

# The one plan both tools run, and its JMeter form.
PLAN_YAML=$WORK/plans/jmeter-closed.yaml
PLAN_JMX=$WORK/plans/jmeter-closed.jmx
cat >"$PLAN_YAML" <<EOF
version: 1
name: jmeter-vs-loadgen
target: $NGINX_URL
scenarios:
  - name: closed
    executor: constant-vus
    vus: $VUS
    duration: ${DURATION_S}s
    steps:
      - name: get
        request: {method: GET, url: "/"}
EOF
if [[ -n $LOADGEN ]]; then
	rm -f "$PLAN_JMX"
	if ! "$LOADGEN" export jmx "$PLAN_YAML" -o "$PLAN_JMX" >"$WORK/jmeter-export.log" 2>&1; then
		SKIP_PLAN="loadgen export jmx failed: $(first_line "$WORK/jmeter-export.log")"
	elif grep -q 'warning:' "$WORK/jmeter-export.log"; then
		SKIP_PLAN="loadgen export jmx: $(grep -m1 'warning:' "$WORK/jmeter-export.log")"
	fi
fi

# nginx must be started by this shell (not a subshell) so the trap can stop it.
NGINX_ERR=
if ! have taskset; then
	NGINX_ERR="taskset is missing"
elif ! start_nginx >"$WORK/nginx-jmeter.start" 2>&1; then
	NGINX_ERR=$(first_line "$WORK/nginx-jmeter.start")
	NGINX_PID=
fi

if [[ -z $NGINX_ERR && -z $SKIP_LOADGEN && -z $SKIP_PLAN ]]; then
	for ((n = 1; n <= RUNS; n++)); do
		[[ -n $SKIP_JMETER ]] || run_tool jmeter "$n"
		run_tool loadgen "$n"
	done
fi

# Results go to stdout and jmeter.txt, with this checkout's path removed.
report 2>&1 | sed "s|$ROOT/|./|g; s|$ROOT|.|g" | tee "$OUT.tmp"
mv "$OUT.tmp" "$OUT"

if ((UPDATE_RESULTS)); then
	update_results "## JMeter 5.6.3 vs loadgen" "$OUT" <<'EOF'
Written by `bench/jmeter.sh --update-results`: the same plan (closed loop, 50 VUs / threads,
30 s, keep-alive GET of nginx's 5-byte "hello") run by JMeter 5.6.3 non-GUI and by loadgen,
each pinned to one core (CPU 1; nginx on CPU 0). JMeter runs with the stock `jmeter` script's
JVM flags (`-Xms1g -Xmx1g -XX:MaxMetaspaceSize=256m`, G1). See bench/README.md.
EOF
fi
