#!/usr/bin/env bash
# Training throughput of LeNet-5, onyx against PyTorch, side by side: the
# same model (the zoo's lenet5 and its PyTorch twin in torch_lenet.py), the
# same batch size, optimizer and number of threads, random MNIST-sized
# batches, one process each, CPU only. Each side runs REPEAT times, the two
# taking turns so that a change in the machine's load hits both; the best
# run of each counts. Prints both throughputs and their ratio.
#
# Usage, from anywhere (PyTorch from Debian's python3-torch):
#
#   tools/bench/lenet_throughput.sh [STEPS [BATCH [THREADS [OPTIMIZER]]]]
#
# Defaults: 50 steps, batch 64, every core, adam. REPEAT (default 3) and
# PYTHON (default /usr/bin/python3) come from the environment.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

steps=${1:-50}
batch=${2:-64}
threads=${3:-$(nproc)}
optimizer=${4:-adam}
repeat=${REPEAT:-3}
python=${PYTHON:-/usr/bin/python3}

if ! "$python" -c 'import torch' 2>/dev/null; then
	echo "lenet_throughput.sh: $python cannot import torch (apt-get install python3-torch)" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/onyx" ./tools/onyx

# throughput prints the images/s of a "throughput: X images/s" line.
throughput() { sed -n 's/^throughput: \([0-9.]*\) images\/s$/\1/p' "$1"; }

best_onyx=0
best_torch=0
for i in $(seq "$repeat"); do
	"$tmp/onyx" train lenet5 --benchmark-steps "$steps" --batch "$batch" --threads "$threads" \
		--optimizer "$optimizer" >"$tmp/onyx.out"
	"$python" tools/bench/torch_lenet.py --steps "$steps" --batch "$batch" --threads "$threads" \
		--optimizer "$optimizer" >"$tmp/torch.out"
	o=$(throughput "$tmp/onyx.out")
	t=$(throughput "$tmp/torch.out")
	if [ -z "$o" ] || [ -z "$t" ]; then
		cat "$tmp/onyx.out" "$tmp/torch.out" >&2
		echo "lenet_throughput.sh: no throughput line" >&2
		exit 1
	fi
	if [ "$i" = 1 ]; then
		head -1 "$tmp/onyx.out"
		head -1 "$tmp/torch.out"
	fi
	printf 'run %d: onyx %8.1f images/s   torch %8.1f images/s\n' "$i" "$o" "$t"
	best_onyx=$(awk -v a="$best_onyx" -v b="$o" 'BEGIN { print (b > a ? b : a) }')
	best_torch=$(awk -v a="$best_torch" -v b="$t" 'BEGIN { print (b > a ? b : a) }')
done
awk -v o="$best_onyx" -v t="$best_torch" -v s="$steps" -v b="$batch" -v n="$threads" -v opt="$optimizer" 'BEGIN {
	printf "LeNet-5 training, batch %d, %s, %d thread(s), best of the runs over %d steps:\n", b, opt, n, s
	printf "  onyx  %8.1f images/s\n  torch %8.1f images/s\n  onyx/torch = %.2f\n", o, t, o / t
}'
