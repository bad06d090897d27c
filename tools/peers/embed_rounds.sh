#!/bin/bash
# Issue 15 item 2: three interleaved rounds (ours, peer, ours, peer, ...) of embedding the same 2,040 Caltech images
# (the first 20 files by name of each of the 102 folders) file -> stored vector with the int8 MobileNetV2.
# Ours: the CLI `embed` job in a fresh data folder (import not timed), its own seconds and the whole process;
# peer: tools/peers/node_embed (onnxruntime-node + sharp, 2 workers). Extra settings for ours go in the environment
# (e.g. Embeddings__BatchSize=16). Usage, repository root, after `dotnet build tools/LabelPlatform.Tools -c Release`
# and `(cd tools/peers/node_embed && npm ci)`:
#   tools/peers/embed_rounds.sh [caltech-root]
set -euo pipefail
root=${1:-/work/shared/datasets/caltech101/101_ObjectCategories}
web=(dotnet src/LabelPlatform.Web/bin/Release/net10.0/LabelPlatform.Web.dll)
work=$(mktemp -d)
sample=$work/sample
for dir in "$root"/*/; do
  name=$(basename "$dir"); mkdir -p "$sample/$name"
  mapfile -t files < <(LC_ALL=C ls "$dir" | LC_ALL=C sort)
  for f in "${files[@]:0:20}"; do cp "$dir/$f" "$sample/$name/"; done
done
echo "sample: $(find "$sample" -type f | wc -l) images in $sample" >&2
for round in ${ROUNDS:-1 2 3}; do
  data=$work/data-$round
  Storage__DataDirectory=$data Embeddings__EmbedAfterImport=false "${web[@]}" import --dataset rounds --path "$sample" --json > /dev/null 2>&1
  start=$(date +%s.%N)
  ours=$(Storage__DataDirectory=$data "${web[@]}" embed --dataset rounds --model mobilenetv2 --json 2>/dev/null)
  whole=$(echo "$(date +%s.%N) - $start" | bc)
  echo "round $round ours: $ours whole_process_s=$whole"
  start=$(date +%s.%N)
  peer=$(cd tools/peers/node_embed && node embed.mjs "$sample" --per-class 20)
  whole=$(echo "$(date +%s.%N) - $start" | bc)
  echo "round $round peer: $peer whole_process_s=$whole"
  rm -rf "$data"
done
rm -rf "$work"
