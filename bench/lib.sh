# bench/lib.sh — helpers shared by the bench/*.sh scripts: sourced,
# not run. The caller sets ROOT, WORK, BIN, NGX, NGINX_PORT and SERVER_CPU
# (and LOADGEN_BIN, optionally) before calling them; start_nginx sets
# NGINX_PID and build_loadgen sets LOADGEN.
# shellcheck shell=bash

# ---------------------------------------------------------------- helpers ---

note() { echo "bench: $*" >&2; } # progress, not part of the results
skip() { echo "SKIPPED: $*"; }
have() { command -v "$1" >/dev/null 2>&1; }

# first_line FILE: the first line of FILE that is not blank or a "# package"
# header of go build, shortened, for SKIPPED reasons.
first_line() { grep -m1 -v -e '^[[:space:]]*$' -e '^# ' "$1" 2>/dev/null | cut -c1-200 || true; }

# cpu_idle: percentage of idle CPU time over one second, machine-wide; other
# processes competing for the CPUs make every number below unreliable.
cpu_idle() {
	local a b
	read -ra a < <(grep -m1 '^cpu ' /proc/stat)
	sleep 1
	read -ra b < <(grep -m1 '^cpu ' /proc/stat)
	awk -v u="$((b[1] + b[2] + b[3] + b[6] + b[7] + b[8] - a[1] - a[2] - a[3] - a[6] - a[7] - a[8]))" \
		-v i="$((b[4] + b[5] - a[4] - a[5]))" 'BEGIN { if (u + i > 0) printf "%.0f", 100 * i / (u + i); else print "n/a" }'
}

# jqn FILE FILTER: a number from a JSON file, or "n/a".
jqn() {
	local v
	v=$(jq -r "($2) // empty" "$1" 2>/dev/null) || v=
	if [[ -n $v && $v != null ]]; then echo "$v"; else echo n/a; fi
}

# calc EXPR with awk; n/a when any operand is n/a or the result is undefined.
calc() {
	if [[ $* == *n/a* ]]; then
		echo "n/a"
		return
	fi
	awk "BEGIN { v = $*; printf \"%.2f\", v }" 2>/dev/null || echo "n/a"
}

# ratio A B: "A/B x", or n/a.
ratio() {
	local r
	r=$(calc "$1 / $2")
	if [[ $r == n/a ]]; then echo n/a; else echo "${r}x"; fi
}

# fmt N / fmt0 N: N with 2 / 0 decimals, or n/a.
fmt() { if [[ $1 == n/a ]]; then echo n/a; else awk -v v="$1" 'BEGIN { printf "%.2f", v }'; fi; }
fmt0() { if [[ $1 == n/a ]]; then echo n/a; else awk -v v="$1" 'BEGIN { printf "%.0f", v }'; fi; }

# wait_port PORT SECONDS: wait until something accepts on 127.0.0.1:PORT.
wait_port() {
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
			return 0
		fi
		sleep 0.05
	done
	return 1
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# stop_pid PID: TERM, then KILL after 5 s, and reap.
stop_pid() {
	local pid=$1 i
	[[ -n $pid ]] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# stop_nginx: stop the nginx started by start_nginx, if any.
stop_nginx() {
	if [[ -n $NGINX_PID ]]; then
		# QUIT is nginx's graceful shutdown; the master stops its worker.
		kill -QUIT "$NGINX_PID" 2>/dev/null || true
		stop_pid "$NGINX_PID"
		NGINX_PID=
	fi
}

# wait_idle: wait (up to 5 minutes) until the CPUs are at least 90% idle.
wait_idle() {
	local deadline=$((SECONDS + 300)) idle
	while :; do
		idle=$(cpu_idle)
		[[ $idle != n/a ]] && ((idle >= 90)) && break
		if ((SECONDS >= deadline)); then
			note "CPUs still only ${idle}% idle after 5 minutes; running anyway"
			break
		fi
		note "waiting for idle CPUs (now ${idle}% idle)"
		sleep 5
	done
}

# ---------------------------------------------------------------- install ---

as_root() {
	if [[ $(id -u) == 0 ]]; then
		"$@"
	elif have sudo; then
		sudo -n "$@"
	else
		return 1
	fi
}

# install_packages [TOOL...]: apt-get install what is missing of TOOLs (nginx,
# wrk, jq, time, taskset; default: all of them).
install_packages() {
	local pkgs=() want=("$@") t
	((${#want[@]})) || want=(nginx wrk jq time taskset)
	for t in "${want[@]}"; do
		case $t in
		nginx) have nginx || [[ -x /usr/sbin/nginx ]] || pkgs+=(nginx) ;;
		time) [[ -x /usr/bin/time ]] || pkgs+=(time) ;;
		taskset) have taskset || pkgs+=(util-linux) ;;
		*) have "$t" || pkgs+=("$t") ;;
		esac
	done
	((${#pkgs[@]})) || return 0
	if ! have apt-get; then
		note "missing ${pkgs[*]} and no apt-get"
		return 0
	fi
	note "installing ${pkgs[*]}"
	as_root apt-get update -qq >/dev/null 2>&1 || note "apt-get update failed"
	local i
	for i in "${!pkgs[@]}"; do
		if [[ ${pkgs[$i]} == nginx ]] && apt-cache show nginx-light >/dev/null 2>&1; then
			pkgs[i]=nginx-light
		fi
	done
	# Keep the package's init script from starting a system nginx on port 80.
	local policy=/usr/sbin/policy-rc.d made_policy=0
	if [[ ! -e $policy ]] && printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null 2>&1; then
		as_root chmod +x "$policy" && made_policy=1
	fi
	DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${pkgs[@]}" \
		>"$WORK/apt.log" 2>&1 || note "apt-get install failed: $(tail -n1 "$WORK/apt.log")"
	((made_policy)) && as_root rm -f "$policy"
	return 0
}

# go_tool NAME MODULE: go install MODULE into $BIN unless NAME is there.
go_tool() {
	[[ -x $BIN/$1 ]] && return 0
	have go || return 1
	note "building $1 ($2)"
	(cd "$WORK" && GOBIN=$BIN GOFLAGS=-mod=mod go install "$2") >"$WORK/$1.build.log" 2>&1
}

build_loadgen() {
	if [[ -n ${LOADGEN_BIN:-} ]]; then
		LOADGEN=$LOADGEN_BIN
		[[ -x $LOADGEN ]] || {
			echo "LOADGEN_BIN=$LOADGEN_BIN is not an executable" >"$WORK/loadgen.build.log"
			LOADGEN=
		}
		return 0
	fi
	note "building loadgen"
	if (cd "$ROOT" && go build -o "$BIN/loadgen" ./cmd/loadgen) >"$WORK/loadgen.build.log" 2>&1; then
		LOADGEN=$BIN/loadgen
	else
		LOADGEN=
		rm -f "$BIN/loadgen"
	fi
}

# ------------------------------------------------------------------ nginx ---

start_nginx() {
	have nginx || [[ -x /usr/sbin/nginx ]] || {
		echo "nginx is not installed"
		return 1
	}
	local nginx_bin
	nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
	if port_busy "$NGINX_PORT"; then
		echo "127.0.0.1:$NGINX_PORT is already in use"
		return 1
	fi
	mkdir -p "$NGX/tmp"
	cat >"$NGX/nginx.conf" <<EOF
# Generated by bench/$(basename "$0").
worker_processes 1;
worker_rlimit_nofile 65535;
daemon off;
pid $NGX/nginx.pid;
error_log $NGX/error.log warn;
events { worker_connections 20000; }
http {
    access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 75s;
    client_body_temp_path $NGX/tmp/body;
    proxy_temp_path $NGX/tmp/proxy;
    fastcgi_temp_path $NGX/tmp/fastcgi;
    uwsgi_temp_path $NGX/tmp/uwsgi;
    scgi_temp_path $NGX/tmp/scgi;
    server {
        listen 127.0.0.1:$NGINX_PORT backlog=4096;
        default_type text/plain;
        location / { return 200 "hello"; }
        # the user flow of section 3: a login that hands out a token, and two
        # endpoints that only answer with it
        location = /login { default_type application/json; return 200 '{"token":"t0k3n","user":"demo"}'; }
        location = /items {
            if (\$http_authorization != "Bearer t0k3n") { return 401; }
            default_type application/json;
            return 200 '{"items":[{"sku":1},{"sku":2}]}';
        }
        location = /cart {
            if (\$http_authorization != "Bearer t0k3n") { return 401; }
            default_type application/json;
            return 201 '{"ok":true}';
        }
    }
}
EOF
	if ! "$nginx_bin" -t -p "$NGX" -c "$NGX/nginx.conf" -e "$NGX/error.log" >"$NGX/test.log" 2>&1; then
		echo "nginx -t failed: $(grep -m1 emerg "$NGX/test.log" || first_line "$NGX/test.log")"
		return 1
	fi
	taskset -c "$SERVER_CPU" "$nginx_bin" -p "$NGX" -c "$NGX/nginx.conf" -e "$NGX/error.log" \
		>"$NGX/stdout.log" 2>&1 &
	NGINX_PID=$!
	if ! wait_port "$NGINX_PORT" 5; then
		echo "nginx did not start: $(first_line "$NGX/error.log")"
		return 1
	fi
}


# ---------------------------------------------------------------- results ---

# update_results SECTION OUT [tables]: replaces SECTION (a "## " heading) of
# bench/RESULTS.md, up to the next "## " heading, by the preamble read from
# standard input and the report OUT in a code block; with "tables", OUT's
# lines starting with "|" go before the block as a Markdown table. The other
# sections stay; a missing file or section is created.
update_results() {
	local section=$1 out=$2 tables=${3:-} results=$ROOT/bench/RESULTS.md pre
	pre=$(mktemp)
	cat >"$pre"
	[[ -f $results ]] || printf '# Benchmark results\n' >"$results"
	grep -qxF "$section" "$results" || printf '\n%s\n' "$section" >>"$results"
	awk -v f="$out" -v p="$pre" -v s="$section" -v tables="$tables" '
		BEGIN {
			while ((getline line < p) > 0) preamble = preamble line "\n"
			while ((getline line < f) > 0) {
				if (tables != "" && line ~ /^\|/) table = table line "\n"; else body = body line "\n"
			}
			sub(/\n+$/, "\n", body)
		}
		$0 == s {
			print; print ""
			printf "%s", preamble; print ""
			if (table != "") { printf "%s", table; print "" }
			print "```"; printf "%s", body; print "```"; print ""
			skipping = 1; next
		}
		skipping && /^## / { skipping = 0 }
		!skipping { print }
	' "$results" >"$results.tmp"
	mv "$results.tmp" "$results"
	rm -f "$pre"
	note "updated bench/RESULTS.md"
}
