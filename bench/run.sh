#!/usr/bin/env bash
# bench/run.sh — loopback benchmark of loadgen against wrk, vegeta and hey.
#
# Usage: bench/run.sh [--update-results] [--quick] [--wait-idle]
#
#   --update-results  also replace the "Latest run" section of bench/RESULTS.md
#   --wait-idle       first wait (up to 5 minutes) until the CPUs are at least
#                     90% idle: other work on the machine skews every number
#   --quick           short smoke run (every duration cut down; numbers are
#                     not comparable with a full run)
#
# Environment: LOADGEN_BIN=path runs that loadgen binary instead of building
# ./cmd/loadgen.
#
# Every request goes to 127.0.0.1. nginx is pinned to CPU 0, the load tools to
# CPU 1. Each section prints "SKIPPED: reason" instead of aborting the run when
# a tool is missing or fails. A full run takes about three minutes. The output
# is written to bench/.work/latest.txt. See bench/README.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
WORK=$BENCH/.work
BIN=$WORK/bin
NGX=$WORK/nginx
OUT=$WORK/latest.txt

VEGETA_MOD=github.com/tsenart/vegeta/v12@v12.13.0
HEY_MOD=github.com/rakyll/hey@v0.1.5

NGINX_PORT=18080
DEMO_PORT=18081
NGINX_URL=http://127.0.0.1:$NGINX_PORT
DEMO_URL=http://127.0.0.1:$DEMO_PORT
SERVER_CPU=0
CLIENT_CPU=1

# Durations (seconds) and sizes; --quick shrinks them for smoke tests.
CLOSED_S=10 CLOSED_CONNS=50
OPEN_S=30 OPEN_RATE=20000
MEM_S=20 MEM_VUS=10000
STALL_S=30 STALL_RATE=1000 STALL=1s STALL_EVERY=10s

UPDATE_RESULTS=0
QUICK=0
WAIT_IDLE=0
for arg in "$@"; do
	case $arg in
	--update-results) UPDATE_RESULTS=1 ;;
	--quick) QUICK=1 ;;
	--wait-idle) WAIT_IDLE=1 ;;
	-h | --help)
		sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "run.sh: unknown argument $arg (try --help)" >&2
		exit 2
		;;
	esac
done
if ((QUICK)); then
	CLOSED_S=3 OPEN_S=5 MEM_S=5 STALL_S=8 STALL_EVERY=3s
fi

NGINX_PID=
DEMO_PID=
LOADGEN=

# Helpers, installation and nginx: shared with bench/jmeter.sh.
# shellcheck source=bench/lib.sh
. "$BENCH/lib.sh"

cleanup() {
	stop_pid "$DEMO_PID"
	DEMO_PID=
	stop_nginx
}

# --------------------------------------------------------------- sections ---

machine() {
	echo "== Machine"
	echo "date:    $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "nproc:   $(nproc)"
	echo "cpu:     $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
	echo "kernel:  $(uname -r)"
	echo "go:      $(go version 2>/dev/null || echo n/a)"
	local v
	v=$({ nginx -v || /usr/sbin/nginx -v; } 2>&1 | head -n1) || true
	echo "nginx:   ${v:-n/a}"
	v=$(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2) || true
	echo "wrk:     ${v:-n/a}"
	v=$(go version -m "$BIN/vegeta" 2>/dev/null | awk '$1 == "mod" {print $3}') || true
	echo "vegeta:  ${v:-n/a}"
	v=$(go version -m "$BIN/hey" 2>/dev/null | awk '$1 == "mod" {print $3}') || true
	echo "hey:     ${v:-n/a}"
	if [[ -z $LOADGEN ]]; then
		v="not built"
	elif [[ -n ${LOADGEN_BIN:-} ]]; then
		v="prebuilt (LOADGEN_BIN)"
	else
		local dirty
		v=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null) || v=
		dirty=$(git -C "$ROOT" status --porcelain 2>/dev/null | head -c1) || dirty=
		v="./cmd/loadgen at commit ${v:-none}${dirty:+ + local changes}"
	fi
	echo "loadgen: $v"
	echo "mode:    $( ((QUICK)) && echo "quick (durations shortened)" || echo full)"
	echo "pinning: server on CPU $SERVER_CPU, load tool on CPU $CLIENT_CPU; ulimit -n $(ulimit -n)"
	echo "load:    load average $(cut -d' ' -f1-3 /proc/loadavg) before the run"
}

# section TITLE: a section header, with how idle the machine was just before
# (every tool of this run is stopped between sections).
section() {
	local idle
	idle=$(cpu_idle)
	echo
	echo "== $1"
	echo "(CPUs ${idle}% idle before this section)"
	if [[ $idle != n/a ]] && ((idle < 90)); then
		echo "WARNING: other processes are using the CPUs; the numbers of this section are not reliable"
	fi
}

# write_plan FILE NAME TARGET SCENARIO-YAML STEP-URL: a one-step plan.
write_plan() {
	cat >"$1" <<EOF
version: 1
name: $2
target: $3
scenarios:
  - name: $2
$4
    steps:
      - name: get
        request: {method: GET, url: "$5"}
EOF
}

# run_loadgen NAME PLAN [WRAPPER...]: run loadgen pinned to the client CPU;
# prints "" on success (summary.json exists), else the reason.
run_loadgen() {
	local name=$1 plan=$2 limit=$3
	shift 3
	local dir=$WORK/runs/$name
	rm -rf "$dir"
	mkdir -p "$(dirname "$dir")"
	local rc=0
	timeout --foreground -k 5 "$limit" "$@" taskset -c "$CLIENT_CPU" "$LOADGEN" run "$plan" --out "$dir" --quiet \
		>"$WORK/$name.log" 2>&1 || rc=$?
	if [[ ! -s $dir/summary.json ]]; then
		echo "loadgen run failed (exit $rc): $(first_line "$WORK/$name.log")"
		return
	fi
	if ((rc != 0 && rc != 99)); then
		note "loadgen $name exited $rc (summary.json present, using it)"
	fi
}

startup_line() {
	echo "startup (process start to first request): $(fmt "$(jqn "$1" .run.startup_ms)") ms"
}

# Results kept for the goals table.
R_WRK=n/a R_VEGETA=n/a R_HEY=n/a R_LOADGEN=n/a
R_OPEN_ERR=n/a R_OPEN_DIFF=n/a R_MEM_MB=n/a
R_STALL_OPEN=n/a R_STALL_CLOSED=n/a R_FLOW=n/a
R_STARTUP=()

closed_loop() {
	section "1. Closed loop: $CLOSED_CONNS connections, keep-alive, ${CLOSED_S}s, GET $NGINX_URL/ (tool on CPU $CLIENT_CPU)"
	if [[ -z $NGINX_PID ]]; then
		skip "nginx is not running"
		return
	fi
	local limit=$((CLOSED_S + 30))

	local i_wrk=n/a i_vegeta=n/a i_hey=n/a i_loadgen=n/a

	# wrk
	if have wrk; then
		i_wrk=$(cpu_idle)
		timeout --foreground -k 5 "$limit" taskset -c "$CLIENT_CPU" wrk -t1 -c"$CLOSED_CONNS" -d"${CLOSED_S}s" "$NGINX_URL/" \
			>"$WORK/wrk.txt" 2>&1 || true
		R_WRK=$(awk '/^Requests\/sec:/ {print $2}' "$WORK/wrk.txt")
		[[ -n $R_WRK ]] || {
			skip "wrk: $(first_line "$WORK/wrk.txt")"
			R_WRK=n/a
		}
	else
		skip "wrk is not installed"
	fi

	# vegeta: attack into a file first so encoding the report does not compete for the CPU
	if [[ -x $BIN/vegeta ]]; then
		i_vegeta=$(cpu_idle)
		rm -f "$WORK/vegeta.bin"
		if echo "GET $NGINX_URL/" | timeout --foreground -k 5 "$limit" taskset -c "$CLIENT_CPU" "$BIN/vegeta" attack \
			-rate=0 -max-workers="$CLOSED_CONNS" -workers="$CLOSED_CONNS" -duration="${CLOSED_S}s" \
			-keepalive=true -output="$WORK/vegeta.bin" 2>"$WORK/vegeta.err" &&
			"$BIN/vegeta" report -type=json "$WORK/vegeta.bin" >"$WORK/vegeta.json" 2>>"$WORK/vegeta.err"; then
			R_VEGETA=$(jqn "$WORK/vegeta.json" .throughput)
			local vsucc
			vsucc=$(jqn "$WORK/vegeta.json" .success)
			[[ $vsucc == 1 ]] || note "vegeta success ratio $vsucc"
		else
			skip "vegeta: $(first_line "$WORK/vegeta.err")"
		fi
	else
		skip "vegeta did not build: $(first_line "$WORK/vegeta.build.log")"
	fi

	# hey
	if [[ -x $BIN/hey ]]; then
		i_hey=$(cpu_idle)
		timeout --foreground -k 5 "$limit" taskset -c "$CLIENT_CPU" "$BIN/hey" -c "$CLOSED_CONNS" -z "${CLOSED_S}s" "$NGINX_URL/" \
			>"$WORK/hey.txt" 2>&1 || true
		R_HEY=$(awk '/Requests\/sec:/ {print $2}' "$WORK/hey.txt")
		[[ -n $R_HEY ]] || {
			skip "hey: $(first_line "$WORK/hey.txt")"
			R_HEY=n/a
		}
	else
		skip "hey did not build: $(first_line "$WORK/hey.build.log")"
	fi

	# loadgen
	local count=n/a
	if [[ -n $LOADGEN ]]; then
		local plan=$WORK/plans/closed.yaml
		write_plan "$plan" closed "$NGINX_URL" "    executor: constant-vus
    vus: $CLOSED_CONNS
    duration: ${CLOSED_S}s" /
		local err
		i_loadgen=$(cpu_idle)
		err=$(run_loadgen closed "$plan" "$limit")
		if [[ -z $err ]]; then
			local s=$WORK/runs/closed/summary.json
			R_LOADGEN=$(jqn "$s" .total.rps)
			count=$(jqn "$s" .total.count)
			R_STARTUP+=("$(jqn "$s" .run.startup_ms)")
		else
			skip "$err"
		fi
	else
		skip "loadgen is not available: $(first_line "$WORK/loadgen.build.log")"
	fi

	echo
	printf '%-8s %12s %15s %14s\n' tool "requests/s" "loadgen ratio" "CPUs idle"
	printf '%-8s %12s %15s %13s%%\n' wrk "$(fmt0 "$R_WRK")" "$(ratio "$R_LOADGEN" "$R_WRK")" "$i_wrk"
	printf '%-8s %12s %15s %13s%%\n' vegeta "$(fmt0 "$R_VEGETA")" "$(ratio "$R_LOADGEN" "$R_VEGETA")" "$i_vegeta"
	printf '%-8s %12s %15s %13s%%\n' hey "$(fmt0 "$R_HEY")" "$(ratio "$R_LOADGEN" "$R_HEY")" "$i_hey"
	printf '%-8s %12s %15s %13s%%\n' loadgen "$(fmt0 "$R_LOADGEN")" "" "$i_loadgen"
	echo "(CPUs idle: share of idle CPU time in the second before each tool started)"
	[[ $count == n/a ]] || echo "loadgen requests: $count"
	if [[ -n $LOADGEN && -s $WORK/runs/closed/summary.json ]]; then
		startup_line "$WORK/runs/closed/summary.json"
	fi
}

open_model() {
	section "2a. Open model accuracy: constant-arrival-rate $OPEN_RATE/s for ${OPEN_S}s against nginx"
	[[ -n $NGINX_PID ]] || {
		skip "nginx is not running"
		return
	}
	[[ -n $LOADGEN ]] || {
		skip "loadgen is not available: $(first_line "$WORK/loadgen.build.log")"
		return
	}
	local plan=$WORK/plans/open.yaml err
	write_plan "$plan" open "$NGINX_URL" "    executor: constant-arrival-rate
    rate: $OPEN_RATE
    time_unit: 1s
    duration: ${OPEN_S}s
    pre_allocated_vus: 200
    max_vus: 2000" /
	err=$(run_loadgen open "$plan" $((OPEN_S + 60)))
	[[ -z $err ]] || {
		skip "$err"
		return
	}
	local s=$WORK/runs/open/summary.json rps count p99 p99c
	rps=$(jqn "$s" .total.rps)
	count=$(jqn "$s" .total.count)
	p99=$(jqn "$s" .total.http_req_duration.p99)
	p99c=$(jqn "$s" .total.http_req_duration_corrected.p99)
	R_OPEN_ERR=$(calc "($rps - $OPEN_RATE) * 100 / $OPEN_RATE")
	R_OPEN_DIFF=$(calc "$p99c - $p99")
	echo "achieved rate (.total.rps):         $(fmt "$rps") /s"
	echo "count / ${OPEN_S}s (.total.count):        $(calc "$count / $OPEN_S") /s  (count $count)"
	echo "rate error vs $OPEN_RATE/s:            $R_OPEN_ERR %"
	echo "p99 http_req_duration:              $(fmt "$p99") ms"
	echo "p99 http_req_duration_corrected:    $(fmt "$p99c") ms"
	echo "corrected - elapsed p99:            $R_OPEN_DIFF ms"
	echo "dropped_iterations:                 $(jqn "$s" .dropped_iterations)"
	startup_line "$s"
	R_STARTUP+=("$(jqn "$s" .run.startup_ms)")
}

memory() {
	section "2b. Memory: constant-vus $MEM_VUS VUs, think_time 1s, ${MEM_S}s against nginx"
	[[ -n $NGINX_PID ]] || {
		skip "nginx is not running"
		return
	}
	[[ -n $LOADGEN ]] || {
		skip "loadgen is not available: $(first_line "$WORK/loadgen.build.log")"
		return
	}
	[[ -x /usr/bin/time ]] || {
		skip "/usr/bin/time is not installed"
		return
	}
	local plan=$WORK/plans/memory.yaml err
	write_plan "$plan" memory "$NGINX_URL" "    executor: constant-vus
    vus: $MEM_VUS
    duration: ${MEM_S}s
    think_time: 1s" /
	err=$(run_loadgen memory "$plan" $((MEM_S + 60)) /usr/bin/time -v -o "$WORK/memory.time")
	[[ -z $err ]] || {
		skip "$err"
		return
	}
	local s=$WORK/runs/memory/summary.json kb
	kb=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$WORK/memory.time")
	[[ -n $kb ]] || kb=n/a
	R_MEM_MB=$(calc "$kb / 1024")
	echo "peak RSS:                 $R_MEM_MB MB"
	echo "requests/s (.total.rps):  $(fmt "$(jqn "$s" .total.rps)")"
	echo "vus_max:                  $(jqn "$s" '.vus_max // .total.vus_max')"
	startup_line "$s"
	R_STARTUP+=("$(jqn "$s" .run.startup_ms)")
}

stall() {
	section "2c. Coordinated omission: demo target stalling $STALL every $STALL_EVERY, constant-arrival-rate $STALL_RATE/s for ${STALL_S}s"
	[[ -n $LOADGEN ]] || {
		skip "loadgen is not available: $(first_line "$WORK/loadgen.build.log")"
		return
	}
	if port_busy "$DEMO_PORT"; then
		skip "127.0.0.1:$DEMO_PORT is already in use"
		return
	fi
	taskset -c "$SERVER_CPU" "$LOADGEN" demo --addr "127.0.0.1:$DEMO_PORT" --stall "$STALL" --stall-every "$STALL_EVERY" \
		>"$WORK/demo.log" 2>&1 &
	DEMO_PID=$!
	if ! wait_port "$DEMO_PORT" 5; then
		skip "loadgen demo did not start: $(first_line "$WORK/demo.log")"
		stop_pid "$DEMO_PID"
		DEMO_PID=
		return
	fi
	# The same stalled target under the open model (every arrival starts on
	# time, so the stall shows up) and under a closed loop of 10 VUs (the
	# wrk/JMeter thread-group model: VUs wait out the stall and stop sending,
	# so only a handful of samples carry it and the percentiles hide it).
	local open=$WORK/plans/stall.yaml closed=$WORK/plans/stall-closed.yaml err
	write_plan "$open" stall "$DEMO_URL" "    executor: constant-arrival-rate
    rate: $STALL_RATE
    time_unit: 1s
    duration: ${STALL_S}s
    pre_allocated_vus: 100
    max_vus: 2000" "/api/products?page=1"
	write_plan "$closed" stall-closed "$DEMO_URL" "    executor: constant-vus
    vus: 10
    duration: ${STALL_S}s" "/api/products?page=1"
	err=$(run_loadgen stall "$open" $((STALL_S + 60)))
	[[ -n $err ]] || err=$(run_loadgen stall-closed "$closed" $((STALL_S + 60)))
	stop_pid "$DEMO_PID"
	DEMO_PID=
	[[ -z $err ]] || {
		skip "$err"
		return
	}
	local s=$WORK/runs/stall/summary.json c=$WORK/runs/stall-closed/summary.json f
	printf '%-6s %26s %26s %26s\n' "" "open: http_req_duration" "open: ..._corrected" "closed 10 VUs: duration"
	for f in p50 p99 p999 max; do
		printf '%-6s %26s %26s %26s\n' "$f" "$(fmt "$(jqn "$s" ".total.http_req_duration.$f")")" \
			"$(fmt "$(jqn "$s" ".total.http_req_duration_corrected.$f")")" \
			"$(fmt "$(jqn "$c" ".total.http_req_duration.$f")")"
	done
	echo "open:   requests/s $(fmt "$(jqn "$s" .total.rps)"), dropped_iterations $(jqn "$s" .dropped_iterations), vus_max $(jqn "$s" .vus_max)"
	echo "closed: requests/s $(fmt "$(jqn "$c" .total.rps)"), requests $(jqn "$c" .total.count)"
	echo "(values in ms; the open model never queues an arrival behind a busy VU, so its elapsed and corrected"
	echo " durations both carry the stall, and the corrected one adds the scheduler's own lateness)"
	startup_line "$s"
	R_STARTUP+=("$(jqn "$s" .run.startup_ms)" "$(jqn "$c" .run.startup_ms)")
	R_STALL_OPEN=$(jqn "$s" .total.http_req_duration_corrected.p99)
	R_STALL_CLOSED=$(jqn "$c" .total.http_req_duration.p99)
}

# flow: a 3-step user journey against plain GETs, same target and loop.
flow() {
	section "3. User flow vs plain GET: $CLOSED_CONNS VUs, closed loop, ${CLOSED_S}s each against nginx"
	[[ -n $LOADGEN ]] || {
		skip "loadgen is not available: $(first_line "$WORK/loadgen.build.log")"
		return
	}
	if [[ -z $NGINX_PID ]]; then
		skip "nginx is not running"
		return
	fi
	local plain=$WORK/plans/plain.yaml journey=$WORK/plans/flow.yaml err
	write_plan "$plain" plain "$NGINX_URL" "    executor: constant-vus
    vus: $CLOSED_CONNS
    duration: ${CLOSED_S}s" "/"
	cat >"$journey" <<PLAN
version: 1
name: flow
target: $NGINX_URL
scenarios:
  - name: flow
    executor: constant-vus
    vus: $CLOSED_CONNS
    duration: ${CLOSED_S}s
    steps:
      - name: login
        request: {method: POST, url: /login, json: {user: "demo-\${__vu}", password: secret}}
        extract: {token: {json: \$.token}}
      - name: items
        request: {url: /items, headers: {Authorization: "Bearer \${token}"}}
        check: [status == 200, len(json.items) == 2]
      - name: cart
        request:
          method: POST
          url: /cart
          headers: {Authorization: "Bearer \${token}"}
          json: {sku: "\${__randInt(1,100)}", user: "demo-\${__vu}", iteration: "\${__iter}"}
PLAN
	err=$(run_loadgen plain "$plain" $((CLOSED_S + 30)))
	[[ -n $err ]] || err=$(run_loadgen flow "$journey" $((CLOSED_S + 30)))
	[[ -z $err ]] || {
		skip "$err"
		return
	}
	local p=$WORK/runs/plain/summary.json f=$WORK/runs/flow/summary.json
	echo "plain GET:   $(fmt "$(jqn "$p" .total.rps)") requests/s"
	echo "3-step flow: $(fmt "$(jqn "$f" .total.rps)") requests/s, errors $(jqn "$f" .total.errors), checks failed $(jqn "$f" .total.checks_failed) of $(jqn "$f" .total.checks)"
	R_FLOW=$(calc "$(jqn "$f" .total.rps) / $(jqn "$p" .total.rps)")
	echo "flow / plain requests/s: $R_FLOW"
	echo "(login with a JSON body and token extraction, GET with the bearer header and 2 checks,"
	echo " POST with a templated JSON body; nginx answers 401 to a missing or wrong token)"
}

# goal LABEL VALUE CONDITION(awk, on v): one line of the goals table.
goal() {
	local verdict=n/a
	if [[ $2 != n/a ]]; then
		verdict=$(awk -v v="$2" "BEGIN { print (($3) ? \"PASS\" : \"FAIL\") }")
	fi
	printf '%-48s %12s  %s\n' "$1" "$2" "$verdict"
}

goals() {
	echo
	echo "== Goals"
	local max_startup=n/a x
	for x in "${R_STARTUP[@]}"; do
		[[ $x == n/a ]] && continue
		if [[ $max_startup == n/a ]] || awk -v a="$x" -v b="$max_startup" 'BEGIN { exit !(a > b) }'; then
			max_startup=$x
		fi
	done
	goal "closed loop: loadgen/vegeta >= 2.0" "$(calc "$R_LOADGEN / $R_VEGETA")" "v >= 2.0"
	goal "closed loop: loadgen/wrk >= 0.5" "$(calc "$R_LOADGEN / $R_WRK")" "v >= 0.5"
	goal "open model: rate error within +-1 (%)" "$R_OPEN_ERR" "v >= -1 && v <= 1"
	goal "open model: corrected - elapsed p99 <= 1 (ms)" "$R_OPEN_DIFF" "v <= 1 && v >= -1"
	goal "$MEM_VUS VUs: peak RSS <= 300 (MB)" "$R_MEM_MB" "v <= 300"
	goal "start to first request <= 50 (ms, worst run)" "$(fmt "$max_startup")" "v <= 50"
	goal "stall: open corrected p99 / closed p99 >= 10" "$(calc "$R_STALL_OPEN / $R_STALL_CLOSED")" "v >= 10"
	goal "flow: 3-step flow / plain GET requests/s >= 0.7" "$R_FLOW" "v >= 0.7"
}

# ------------------------------------------------------------------- run ---

mkdir -p "$BIN" "$WORK/plans" "$WORK/runs"
trap cleanup EXIT
trap 'exit 130' INT TERM

ulimit -n 65535 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# shellcheck disable=SC2119 # no arguments: the default tool list
install_packages
have jq || {
	echo "run.sh: jq is required" >&2
	exit 1
}
go_tool vegeta "$VEGETA_MOD" || true
go_tool hey "$HEY_MOD" || true
build_loadgen

# nginx must be started by this shell (not a subshell) so the trap can stop it.
NGINX_ERR=
if ! have taskset; then
	NGINX_ERR="taskset is missing"
elif ! start_nginx >"$WORK/nginx.start" 2>&1; then
	NGINX_ERR=$(first_line "$WORK/nginx.start")
	NGINX_PID=
fi

if ((WAIT_IDLE)); then
	wait_idle
fi

# Results go to stdout and latest.txt, with this checkout's path removed.
main_sections() {
	# The demo target is started in this subshell; stop it here too.
	trap 'stop_pid "$DEMO_PID"' EXIT
	trap 'exit 130' INT TERM
	machine
	if [[ -n $NGINX_ERR ]]; then
		echo
		echo "nginx: SKIPPED: $NGINX_ERR"
	fi
	closed_loop
	open_model
	memory
	stall
	flow
	goals
}
main_sections 2>&1 | sed "s|$ROOT/|./|g; s|$ROOT|.|g" | tee "$OUT.tmp"
mv "$OUT.tmp" "$OUT"

if ((UPDATE_RESULTS)); then
	update_results "## Latest run" "$OUT" <<<'Written by `bench/run.sh --update-results`.'
fi
