#!/usr/bin/env bash
# bench/analyze.sh — throughput and memory of the JTL analysis
# (loadgen/results.Analyze) on a large generated JTL.
#
# Usage: bench/analyze.sh [--keep] [--rows N] [--runs N] [--profile] [--wait-idle]
#
#   --keep       keep the generated JTL (bench/.work/analyze-bench.jtl) and
#                reuse it next time; by default it is deleted at the end
#   --rows N     data rows to generate (default 10000000, about 1.3 GB)
#   --runs N     timed analysis runs (default 3); the median decides the goal
#   --profile    also write a CPU profile of one more run to
#                bench/.work/analyze-cpu.prof (go tool pprof it)
#   --wait-idle  first wait (up to 5 minutes) until the CPUs are at least
#                90% idle: other work on the machine skews the numbers
#
# It builds bench/jtlgen (the generator: stock 17-column JMeter header, 20
# labels incl. quoted ones and two transaction controllers, ~1% errors) and
# bench/analyzer (calls results.Analyze and prints JSON stats) into
# bench/.work/bin, generates the JTL into bench/.work/ (git-ignored), reads
# it once to warm the page cache (the benchmark measures parsing and
# statistics, not the disk), then runs the analyzer under /usr/bin/time -v.
# Reported per run: MB/s = file size (10^6 bytes) / wall time, and peak RSS
# (MiB). Goal: median >= 150 MB/s and peak RSS <= 150 MiB.
# The output is also written to bench/.work/analyze-latest.txt.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$ROOT/bench/.work
BIN=$WORK/bin
JTL=$WORK/analyze-bench.jtl
JTL_REL=bench/.work/analyze-bench.jtl # relative to ROOT: no machine paths in the output
OUT=$WORK/analyze-latest.txt
PROF=$WORK/analyze-cpu.prof

GOAL_MBPS=150
GOAL_RSS_MIB=150

KEEP=0 ROWS=10000000 RUNS=3 PROFILE=0 WAIT_IDLE=0
while (($#)); do
	case $1 in
	--keep) KEEP=1 ;;
	--rows)
		ROWS=${2:?--rows needs a number}
		shift
		;;
	--runs)
		RUNS=${2:?--runs needs a number}
		shift
		;;
	--profile) PROFILE=1 ;;
	--wait-idle) WAIT_IDLE=1 ;;
	-h | --help)
		sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "analyze.sh: unknown argument $1 (try --help)" >&2
		exit 2
		;;
	esac
	shift
done
[[ $ROWS =~ ^[0-9]+$ && $ROWS -gt 0 ]] || {
	echo "analyze.sh: --rows must be a positive integer" >&2
	exit 2
}
[[ $RUNS =~ ^[0-9]+$ && $RUNS -gt 0 ]] || {
	echo "analyze.sh: --runs must be a positive integer" >&2
	exit 2
}

note() { echo "analyze.sh: $*" >&2; }

cleanup() {
	rm -f "$WORK/analyze-time.txt" "$WORK/analyze-out.json"
	if ((!KEEP)); then
		rm -f "$JTL" "$JTL.rows"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[[ -x /usr/bin/time ]] || {
	echo "analyze.sh: /usr/bin/time is missing (apt-get install time)" >&2
	exit 1
}

# cpu_idle: percentage of idle CPU time over one second, machine-wide.
cpu_idle() {
	local a b
	read -ra a < <(grep -m1 '^cpu ' /proc/stat)
	sleep 1
	read -ra b < <(grep -m1 '^cpu ' /proc/stat)
	awk -v u="$((b[1] + b[2] + b[3] + b[6] + b[7] + b[8] - a[1] - a[2] - a[3] - a[6] - a[7] - a[8]))" \
		-v i="$((b[4] + b[5] - a[4] - a[5]))" 'BEGIN { if (u + i > 0) printf "%.0f", 100 * i / (u + i); else print "n/a" }'
}

mkdir -p "$BIN"
cd "$ROOT"
note "building bench/jtlgen and bench/analyzer"
go build -o "$BIN/jtlgen" ./bench/jtlgen
go build -o "$BIN/analyzer" ./bench/analyzer

# A kept file is reused when it was generated with the same row count.
if [[ -f $JTL && -f $JTL.rows && $(cat "$JTL.rows") == "$ROWS" ]]; then
	note "reusing $JTL_REL"
else
	note "generating $ROWS rows"
	rm -f "$JTL.rows"
	"$BIN/jtlgen" -rows "$ROWS" -out "$JTL"
	echo "$ROWS" >"$JTL.rows"
fi
SIZE=$(stat -c %s "$JTL")
cat "$JTL" >/dev/null # warm the page cache

if ((WAIT_IDLE)); then
	for ((i = 0; i < 60; i++)); do
		idle=$(cpu_idle)
		[[ $idle != n/a && $idle -ge 90 ]] && break
		note "waiting for idle CPUs ($idle% idle)"
		sleep 4
	done
fi

{
	echo "# JTL analysis benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "cpu: $(nproc) × $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
	echo "go: $(go env GOVERSION), load average: $(cut -d' ' -f1-3 /proc/loadavg), idle: $(cpu_idle)%"
	echo "file: $JTL_REL, $SIZE bytes ($(awk -v s="$SIZE" 'BEGIN { printf "%.2f", s / 1e9 }') GB), $ROWS rows"
	echo
	printf '%-5s %10s %10s %10s %12s %14s\n' run wall_s user_s MB/s peak_RSS_MiB rows_analysed
	mbps_all=()
	rss_max=0
	for ((r = 1; r <= RUNS; r++)); do
		tv=$WORK/analyze-time.txt
		js=$WORK/analyze-out.json
		/usr/bin/time -v -o "$tv" "$BIN/analyzer" "$JTL_REL" >"$js"
		wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$tv")
		user=$(awk -F': ' '/User time/ { print $2 }' "$tv")
		rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$tv")
		rows=$(grep -m1 '"rows"' "$js" | tr -dc '0-9')
		mbps=$(awk -v s="$SIZE" -v w="$wall" 'BEGIN { printf "%.0f", s / 1e6 / w }')
		mbps_all+=("$mbps")
		rss_max=$(awk -v a="$rss_max" -v b="$rss" 'BEGIN { print (b > a) ? b : a }')
		printf '%-5s %10s %10s %10s %12s %14s\n' "$r" "$wall" "$user" "$mbps" "$rss" "$rows"
	done
	median=$(printf '%s\n' "${mbps_all[@]}" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
	best=$(printf '%s\n' "${mbps_all[@]}" | sort -n | tail -1)
	echo
	echo "median: $median MB/s, best: $best MB/s, peak RSS: $rss_max MiB"
	verdict=PASS
	awk -v m="$median" -v g="$GOAL_MBPS" 'BEGIN { exit !(m >= g) }' || verdict=FAIL
	awk -v r="$rss_max" -v g="$GOAL_RSS_MIB" 'BEGIN { exit !(r <= g) }' || verdict=FAIL
	echo "goal (>= $GOAL_MBPS MB/s median, <= $GOAL_RSS_MIB MiB peak RSS): $verdict"
	echo
	echo "analyzer output of the last run:"
	cat "$js"
} | tee "$OUT"

if ((PROFILE)); then
	"$BIN/analyzer" -cpuprofile "$PROF" "$JTL_REL" >/dev/null
	note "CPU profile: bench/.work/analyze-cpu.prof (go tool pprof -top bench/.work/bin/analyzer bench/.work/analyze-cpu.prof)"
fi
grep -q '): PASS$' "$OUT"
