#!/usr/bin/env bash
# bench/hlogmerge.sh — time and memory of `loadgen merge` on the HDR logs of
# a distributed run (loadgen/results.Merge, mergeHLogs).
#
# Usage: bench/hlogmerge.sh [--workers N] [--seconds D] [--tags T] [--samples S]
#                           [--runs N] [--before BIN] [--clean] [--wait-idle]
#                           [--update-results]
#
#   --workers N       worker folders to merge (default 100)
#   --seconds D       run length: D one-second intervals per tag (default 3600)
#   --tags T          labels (HDR log tags) per worker (default 1)
#   --samples S       mean samples per second and tag of a worker (default 3000)
#   --runs N          timed merges (default 3); the median wall time decides
#   --before BIN      also time BIN (a loadgen binary built from the previous
#                     implementation) once on the same input, as "before"
#   --clean           delete the generated input at the end (it is kept in
#                     bench/.work/hlogmerge/ and reused: generating the
#                     default input takes about 3 minutes)
#   --wait-idle       before each run, wait (up to 5 minutes) until the CPUs
#                     are at least 90% idle, and repeat a run that other
#                     processes disturbed (at most 3 attempts): other work on
#                     the machine skews the numbers
#   --update-results  replace (or add) the "HDR log merge (distributed runs)"
#                     section of bench/RESULTS.md
#
# bench/hlogmerge (the generator) writes one folder per worker, as `loadgen
# run` leaves it: a latency.hlog written by the engine's own HDR log writer
# (lognormal latencies around 20 ms with a long tail, one interval histogram
# per second and tag, each worker starting at its own sub-second offset)
# and a two-row results.jtl, so that the JTL half of the merge is
# negligible. The script builds ./cmd/loadgen into a temporary folder, reads
# the input once to warm the page cache (the benchmark measures the merge,
# not the disk), and runs `loadgen merge DIRS... --out OUT` under
# /usr/bin/time -v: wall time, CPU time and maximum resident set size. A run
# is "disturbed" when the CPUs were less than 90% idle before it or other
# processes used more than 5% of a CPU during it (from /proc/stat).
# Goal: median wall time <= 5 s and peak RSS <= 200 MB (10^6 bytes).
# The output is also written to bench/.work/hlogmerge-latest.txt.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$ROOT/bench/.work
OUT=$WORK/hlogmerge-latest.txt
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

GOAL_WALL_S=5
GOAL_RSS_MB=200

WORKERS=100 SECS=3600 TAGS=1 SAMPLES=3000 RUNS=3 BEFORE='' CLEAN=0 WAIT_IDLE=0 UPDATE_RESULTS=0
posint() { [[ $2 =~ ^[0-9]+$ && $2 -gt 0 ]] || {
	echo "hlogmerge.sh: $1 needs a positive integer" >&2
	exit 2
}; }
while (($#)); do
	case $1 in
	--workers | --seconds | --tags | --samples | --runs)
		posint "$1" "${2:-}"
		case $1 in
		--workers) WORKERS=$2 ;;
		--seconds) SECS=$2 ;;
		--tags) TAGS=$2 ;;
		--samples) SAMPLES=$2 ;;
		--runs) RUNS=$2 ;;
		esac
		shift
		;;
	--before)
		BEFORE=${2:?--before needs a loadgen binary}
		[[ -x $BEFORE ]] || {
			echo "hlogmerge.sh: --before $BEFORE is not an executable" >&2
			exit 2
		}
		BEFORE=$(cd "$(dirname "$BEFORE")" && pwd)/$(basename "$BEFORE")
		shift
		;;
	--clean) CLEAN=1 ;;
	--wait-idle) WAIT_IDLE=1 ;;
	--update-results) UPDATE_RESULTS=1 ;;
	-h | --help)
		sed -n '2,38p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "hlogmerge.sh: unknown argument $1 (try --help)" >&2
		exit 2
		;;
	esac
	shift
done

mkdir -p "$WORK/hlogmerge"
BIN=$(mktemp -d "$WORK/hlogmerge/bin.XXXXXX")
DATA_REL=bench/.work/hlogmerge/w$WORKERS-d$SECS-t$TAGS-s$SAMPLES # relative to ROOT: no machine paths in the output
DATA=$ROOT/$DATA_REL
MERGED_REL=bench/.work/hlogmerge/merged
cleanup() {
	rm -rf "$BIN" "${ROOT:?}/$MERGED_REL"
	if ((CLEAN)); then
		rm -rf "$DATA"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

install_packages time
[[ -x /usr/bin/time ]] || {
	echo "hlogmerge.sh: /usr/bin/time is missing (apt-get install time)" >&2
	exit 1
}
cd "$ROOT"
build_loadgen
[[ -n $LOADGEN ]] || {
	echo "hlogmerge.sh: ./cmd/loadgen does not build: $(first_line "$WORK/loadgen.build.log")" >&2
	exit 1
}

# A complete input of the same parameters is reused.
if [[ -f $DATA/.complete ]]; then
	note "reusing $DATA_REL"
else
	note "generating $WORKERS workers × $SECS s × $TAGS tag(s) into $DATA_REL (a few minutes)"
	rm -rf "$DATA"
	go build -o "$BIN/hlogmerge-gen" ./bench/hlogmerge
	"$BIN/hlogmerge-gen" -out "$DATA" -workers "$WORKERS" -seconds "$SECS" -tags "$TAGS" -samples "$SAMPLES"
	touch "$DATA/.complete"
fi
mapfile -t DIRS < <(cd "$ROOT" && find "$DATA_REL" -mindepth 1 -maxdepth 1 -type d -name 'worker*' | sort)
SIZE=$(cat "${DIRS[@]/%//latency.hlog}" | wc -c)
INTERVALS=$(cat "${DIRS[@]/%//latency.hlog}" | grep -c '^Tag=' || true)
cat "${DIRS[@]/%//latency.hlog}" >/dev/null # warm the page cache

# cpu_ticks: busy CPU time of the whole machine since boot, in clock ticks.
cpu_ticks() {
	local c
	read -ra c < <(grep -m1 '^cpu ' /proc/stat)
	echo $((c[1] + c[2] + c[3] + c[6] + c[7] + c[8]))
}
CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)

# merge_once BIN: one timed merge; prints "wall_s rss_mb merged_intervals
# cpu_s others_s": the merge's own CPU time (user + sys) and that of
# everything else on the machine meanwhile.
merge_once() {
	local tv=$WORK/hlogmerge/time.txt log=$WORK/hlogmerge/merge.log t0 t1
	rm -rf "${ROOT:?}/$MERGED_REL"
	t0=$(cpu_ticks)
	if ! /usr/bin/time -v -o "$tv" "$1" merge "${DIRS[@]}" --out "$MERGED_REL" >"$log" 2>&1; then
		note "merge failed: $(first_line "$log")"
		echo "n/a n/a n/a n/a n/a"
		return
	fi
	t1=$(cpu_ticks)
	local wall rss merged cpu
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s }' "$tv")
	rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 * 1024 / 1e6 }' "$tv")
	cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$tv")
	merged=$(grep -o '[0-9]* intervals' "$log" | cut -d' ' -f1)
	echo "$wall $rss ${merged:-n/a} $cpu $(awk -v t="$((t1 - t0))" -v k="$CLK_TCK" -v c="$cpu" 'BEGIN { o = t / k - c; printf "%.2f", (o < 0 ? 0 : o) }')"
}

# disturbed OTHERS WALL: whether other processes used more than 5% of a
# CPU during the run (and more than 0.1 s: /proc/stat counts in ticks).
disturbed() { [[ $1 != n/a ]] && awk -v o="$1" -v w="$2" 'BEGIN { exit !(o > 0.05 * w && o > 0.1) }'; }

verdict() { # wall rss
	if [[ $1 == n/a || $2 == n/a ]]; then
		echo FAIL
	elif awk -v w="$1" -v r="$2" -v gw="$GOAL_WALL_S" -v gr="$GOAL_RSS_MB" 'BEGIN { exit !(w <= gw && r <= gr) }'; then
		echo PASS
	else
		echo FAIL
	fi
}

commas() { echo "$1" | sed -E ':a; s/^([0-9]+)([0-9]{3})/\1,\2/; ta'; }

{
	echo "# HDR log merge benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "cpu: $(nproc) × $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), go: $(go env GOVERSION), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "input: $DATA_REL: $WORKERS workers × $SECS s × $TAGS tag(s), ~$SAMPLES samples per second and tag;"
	echo "       $(commas "$INTERVALS") interval histograms, $(awk -v s="$SIZE" 'BEGIN { printf (s < 1e7 ? "%.1f" : "%.0f"), s / 1e6 }') MB of latency.hlog"
	echo "command: loadgen merge ${DIRS[0]%/*}/worker* --out $MERGED_REL   (under /usr/bin/time -v)"
	echo
	printf '%-8s %6s %8s %8s %9s %12s %8s\n' run idle_% wall_s cpu_s others_s peak_RSS_MB merged
	row() { printf '%-8s %6s %8s %8s %9s %12s %8s%s\n' "$@"; }
	walls=()
	rss_max=0
	for ((r = 1; r <= RUNS; r++)); do
		# with --wait-idle, a run that other processes disturbed is
		# repeated (at most 3 attempts)
		for ((a = 1; a <= 3; a++)); do
			((WAIT_IDLE)) && wait_idle
			idle=$(cpu_idle)
			read -r wall rss merged cpu others < <(merge_once "$LOADGEN")
			mark=""
			if disturbed "$others" "$wall" || { [[ $idle != n/a ]] && ((idle < 90)); }; then
				mark="  disturbed"
			fi
			row "$r" "$idle" "$wall" "$cpu" "$others" "$rss" "$merged" "$mark"
			if [[ -z $mark ]] || ((!WAIT_IDLE)); then
				break
			fi
		done
		[[ -z $mark ]] || echo "WARNING: run $r was disturbed by other processes: its time is not reliable"
		walls+=("$wall")
		if [[ $rss != n/a ]]; then
			rss_max=$(awk -v a="$rss_max" -v b="$rss" 'BEGIN { print (b > a) ? b : a }')
		else
			rss_max=n/a
		fi
	done
	if [[ -n $BEFORE ]]; then
		# last: its gigabytes of memory slowed the next run down
		((WAIT_IDLE)) && wait_idle
		idle=$(cpu_idle)
		read -r bwall brss bmerged bcpu bothers < <(merge_once "$BEFORE")
		row before "$idle" "$bwall" "$bcpu" "$bothers" "$brss" "$bmerged" ""
	fi
	median=$(printf '%s\n' "${walls[@]}" | grep -v n/a | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
	[[ " ${walls[*]} " != *" n/a "* ]] || median=n/a
	result=$(verdict "$median" "$rss_max")
	echo
	echo "median wall: $median s, peak RSS: $rss_max MB"
	echo "goal (<= $GOAL_WALL_S s median wall, <= $GOAL_RSS_MB MB peak RSS): $result"
	echo
	echo "| | inputs | intervals | input size | wall time | peak RSS | goal | result |"
	echo "|---|---:|---:|---:|---:|---:|---|---|"
	size_mb="$(awk -v s="$SIZE" 'BEGIN { printf (s < 1e7 ? "%.1f" : "%.0f"), s / 1e6 }') MB"
	if [[ -n $BEFORE ]]; then
		echo "| before | $WORKERS | $(commas "$INTERVALS") | $size_mb | $bwall s | $brss MB | ≤ $GOAL_WALL_S s, ≤ $GOAL_RSS_MB MB | $(verdict "$bwall" "$brss") |"
	fi
	echo "| after | $WORKERS | $(commas "$INTERVALS") | $size_mb | $median s (median of $RUNS) | $rss_max MB | ≤ $GOAL_WALL_S s, ≤ $GOAL_RSS_MB MB | $result |"
} 2>&1 | sed "s|$ROOT/|./|g; s|$ROOT|.|g" | tee "$OUT"

if ((UPDATE_RESULTS)); then
	update_results "## HDR log merge (distributed runs)" "$OUT" tables <<'EOF'
Written by `bench/hlogmerge.sh --update-results`: `loadgen merge` of the HDR logs (and two-row
JTLs) of a generated distributed run (see `bench/hlogmerge.sh --help`). "before" is the previous
implementation (whole files read, one library histogram per interval line), timed by the
same script with `--before` on a loadgen binary built from it.
EOF
fi
grep -q '): PASS$' "$OUT"
