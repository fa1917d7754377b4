#!/usr/bin/env bash
# Checks that optimized models stay portable: for every fixture under
# passes/testdata/fixtures, onyx optimize writes it at opset 23 with its
# fusions, and ONNX Runtime (onnxruntime-node, installed here with npm) runs
# both the original and the optimized file and must match the fixture's
# reference outputs. Run from the repository root.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [ ! -d tools/ortcheck/node_modules/onnxruntime-node ]; then
	(cd tools/ortcheck && ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund --silent onnxruntime-node@1.30.0 >/dev/null)
fi
go build -o "$work/onyx" ./tools/onyx
status=0
for model in passes/testdata/fixtures/*.onnx; do
	name="$(basename "$model" .onnx)"
	prefix="passes/testdata/fixtures/$name"
	"$work/onyx" optimize "$model" -o "$work/$name.opt.onnx" --target-opset 23 --report >"$work/$name.report"
	echo "== $name: $(grep '^total' "$work/$name.report" | awk '{print $2 " nodes -> " $3}')"
	node tools/ortcheck/check.js "$model" "$prefix" || status=1
	node tools/ortcheck/check.js "$work/$name.opt.onnx" "$prefix" || status=1
done
exit $status
