#!/usr/bin/env bash
# Tests the fast CPU kernels both ways: with the assembly the machine
# supports (the default build) and with the pure-Go twins alone (the purego
# build tag, which is also what other architectures get). Also vets the
# purego build and checks that the generated assembly is up to date.
# Run from anywhere; it works in the repository root.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

go vet -tags purego ./backends/cpu/linalg/...
go test -tags purego ./backends/cpu/linalg/...
go test ./backends/cpu/linalg/...
GOARCH=arm64 go vet ./backends/cpu/linalg/...

# go generate must leave no diff in the generated kernels.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd backends/cpu/linalg && go run ./_gen -dir "$tmp")
for f in kernels_amd64.s kernels_amd64.go; do
	if ! cmp -s "$tmp/$f" "backends/cpu/linalg/$f"; then
		echo "backends/cpu/linalg/$f is stale: run go generate ./backends/cpu/linalg" >&2
		exit 1
	fi
done
