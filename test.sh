#!/usr/bin/env bash
# Runs every test of the repository. It installs what the tests need first
# (idempotent and quiet), so it works on a fresh machine as well as here.
set -euo pipefail
cd "$(dirname "$0")"

export GOFLAGS="${GOFLAGS:-} -mod=mod"
STATICCHECK_VERSION=v0.8.2

echo "== setup"
go mod download
if ! command -v staticcheck >/dev/null 2>&1 || ! staticcheck -version 2>/dev/null | grep -q "${STATICCHECK_VERSION#v}"; then
  GOBIN="$(go env GOPATH)/bin" go install "honnef.co/go/tools/cmd/staticcheck@${STATICCHECK_VERSION}" >/dev/null 2>&1 || echo "warning: staticcheck could not be installed; skipping it"
fi
export PATH="$(go env GOPATH)/bin:$PATH"

echo "== gofmt, go vet, staticcheck"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
go vet ./...
if command -v staticcheck >/dev/null 2>&1; then staticcheck ./...; fi

echo "== go test"
go test -race -count=1 -timeout 20m ./...
