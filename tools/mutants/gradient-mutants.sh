#!/usr/bin/env bash
# Removes one Jacobian term at a time from a copy of the training code and runs the gradient checks against it:
# each mutant must make GradientCheckTests fail. Prints one line per mutant and exits non-zero if any survives.
# Usage: bash tools/mutants/gradient-mutants.sh [WORKDIR]   (default: a temporary folder)
set -uo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="${1:-$(mktemp -d)}"
training=src/LabelPlatform.Core/Training

# file | line to match exactly (trimmed; every occurrence is replaced) | replacement | what is removed
mutants=(
  "HeadLayers.cs|TensorPrimitives.Multiply(z, -TensorPrimitives.Dot(z, dz), du);|du.Clear();|L2 normalisation: the -z (z . dz) projection term"
  "HeadLayers.cs|TensorPrimitives.Divide(du, Math.Max(norm, 1e-12f), du);||L2 normalisation: the 1/‖u‖ factor"
  "HeadLayers.cs|dh[k] = 0;||ReLU: the mask of inactive units"
  "HeadLayers.cs|TensorPrimitives.MultiplyAdd(x, dy[j], row, row);||dense layer: the weight gradient dy x^T"
  "HeadLayers.cs|TensorPrimitives.MultiplyAdd(weights.Slice(j * n, n), dy[j], dx, dx);||dense layer: the input gradient W^T dy"
  "ProxySoftmaxLoss.cs|TensorPrimitives.MultiplyAdd(_unitProxies.AsSpan(c * dimension, dimension), g, dz, dz);||proxy softmax: the gradient w.r.t. the embedding"
  "ProxySoftmaxLoss.cs|TensorPrimitives.MultiplyAdd(z, g, dp, dp);||proxy softmax: the gradient w.r.t. the unit proxies"
  "NeighbourhoodLoss.cs|TensorPrimitives.MultiplyAdd(zj, coefficient * difference, dzi, dzi);||neighbourhood regulariser: d/dz_i"
  "BatchHardTripletLoss.cs|TensorPrimitives.MultiplyAdd(zp, -1f / far / b, dza, dza);||batch-hard triplet: the anchor's positive term"
)

survivors=0
copy="$work/copy"
rm -rf "$copy" && mkdir -p "$copy"
git -C "$repo" ls-files -z | (cd "$repo" && xargs -0 cp --parents -t "$copy")
# Build the untouched copy once, so each mutant rebuilds incrementally; the checks must pass on it.
if ! dotnet test "$copy/tests/LabelPlatform.Tests" --filter "FullyQualifiedName~GradientCheckTests" -v q --nologo > "$work/original.log" 2>&1; then
  echo "the gradient checks fail on the unchanged code: see $work/original.log"; exit 2
fi
echo "unchanged code: gradient checks pass"
for i in "${!mutants[@]}"; do
  IFS='|' read -r file match replacement what <<<"${mutants[$i]}"
  target="$copy/$training/$file"
  cp "$repo/$training/$file" "$target"
  count=$(grep -cF -- "$match" "$target" || true)
  if [[ "$count" == 0 ]]; then
    echo "mutant $i ($what): the line is not in $file; fix the script"; survivors=$((survivors + 1)); continue
  fi
  MATCH="$match" REPLACEMENT="$replacement" perl -0pi -e 's/^(\s*)\Q$ENV{MATCH}\E/$1$ENV{REPLACEMENT}/mg' "$target"
  log="$work/mutant-$i.log"
  if dotnet test "$copy/tests/LabelPlatform.Tests" --filter "FullyQualifiedName~GradientCheckTests" -v q --nologo > "$log" 2>&1; then
    echo "SURVIVED  $what ($file)"; survivors=$((survivors + 1))
  elif grep -q 'error CS' "$log"; then
    echo "NO BUILD  $what ($file): see $log"; survivors=$((survivors + 1))
  else
    failed=$(grep -oE 'Failed: +[0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')
    echo "killed    $what ($file): ${failed:-?} gradient check(s) failed"
  fi
  cp "$repo/$training/$file" "$target"
done
echo "$survivors of ${#mutants[@]} mutants survived"
exit $(( survivors > 0 ))
