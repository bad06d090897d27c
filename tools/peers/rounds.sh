#!/bin/bash
# Three interleaved rounds of ours and the peers (ours, peer, ours, peer, ...), then the medians of the ratios.
# The machine is shared, so absolute figures drift between runs; the ratios within a round are what counts.
# Usage (repository root, after `dotnet build tools/LabelPlatform.Tools -c Release`):
#   tools/peers/rounds.sh [sizes]      sizes default to 100000,1000000 (1M x 1280 needs ~6 GB free, twice in turn)
# Peers: apt-get install -y python3-numpy python3-faiss libopenblas0-pthread
set -euo pipefail
sizes=${1:-100000,1000000}
tools=(dotnet tools/LabelPlatform.Tools/bin/Release/net10.0/LabelPlatform.Tools.dll)
out=${ROUNDS_DIR:-$(mktemp -d)}
for round in ${ROUNDS:-1 2 3}; do
  echo "round $round -> $out" >&2
  "${tools[@]}" bench gemm --repeats 2 > "$out/ours-gemm-$round.txt"
  "${tools[@]}" bench loo --repeats 2 > "$out/ours-loo-$round.txt"
  /usr/bin/python3 tools/peers/numpy_loo.py --repeats 2 > "$out/peer-loo-$round.txt"
  "${tools[@]}" bench search --sizes "$sizes" --batch 64 --queries 30 --batches 2 > "$out/ours-search-$round.txt"
  /usr/bin/python3 tools/peers/faiss_flat.py --sizes "$sizes" --batch 64 --queries 30 --batches 2 > "$out/peer-search-$round.txt"
done
/usr/bin/python3 tools/peers/compare.py "$out"
