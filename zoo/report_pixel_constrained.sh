#!/usr/bin/env bash
# The Pixel Constrained CNN issue's measurements: likelihood against error, diversity, likelihood-sorted
# grids (random blobs and bottom-only masks), probability maps while sampling, and sampling time.
# Validation splits only; seed 0. Bits per hidden sub-pixel are in the model cards (training's final evaluation).
set -euo pipefail
D=${DATA:-../shared/datasets}
N=${N:-50}
MNIST="$D/mnist/t10k-images-idx3-ubyte.gz"
CELEBA="$D/celeba/faces-4800-jpg.tar.gz"
mkdir -p results docs/figures
study() {  # name method data size masks images [extra args]
  local name=$1 method=$2 data=$3 size=$4 masks=$5 n=$6; shift 6
  inpaint sample-study --method "$method" --data "$data" --size "$size" --masks "$masks" -n "$n" --samples 8 \
    --out "results/pccnn-$name.csv" --grid "docs/figures/pccnn-$name.png" --grid-rows 6 --quiet "$@"
}
study mnist-blobs pixel-constrained-cnn@pccnn-mnist-28 "$MNIST" 28 blobs "$N"
study mnist-bottom pixel-constrained-cnn@pccnn-mnist-28 "$MNIST" 28 top:0.75 "$N" \
  --progression docs/figures/pccnn-mnist-progression.png --frames 8
study celeba-blobs pixel-constrained-cnn@pccnn-celeba-32 "$CELEBA" 32 blobs "$N"
# 2,304 sub-pixels to sample per face: 12 faces keep this under 10 minutes here
study celeba-bottom pixel-constrained-cnn@pccnn-celeba-32 "$CELEBA" 32 top:0.75 12 \
  --progression docs/figures/pccnn-celeba-progression.png --frames 8
study celeba-bottom-t07 pixel-constrained-cnn@pccnn-celeba-32 "$CELEBA" 32 top:0.75 12 --option temperature=0.7
# sampling time per image (8 samples at once, and 1): an 8x8 hole and a 25% (23-27%) blob mask
# (larger blobs than training's: the paper's parameters give about 4% holes at 32 px)
for masks in centre8 blobs:8:12; do
  ratio=(); [ "$masks" != centre8 ] && ratio=(--ratio 0.23,0.27)
  for k in 1 8; do
    inpaint sample-study --method pixel-constrained-cnn@pccnn-celeba-32 --data "$CELEBA" --size 32 --masks "$masks" \
      "${ratio[@]}" -n 10 --samples "$k" --out "results/pccnn-celeba-time-${masks//:/-}-x$k.csv" --quiet
  done
done
# beside the deterministic methods: most likely of 8, mean over the 8, diversity (the dashboard reads this file)
inpaint benchmark --methods telea,biharmonic,mle-normal@normal-celeba-32,pixel-constrained-cnn@pccnn-celeba-32 \
  --data "$CELEBA" --size 32 --masks blobs --n "$N" --samples 8 --out results/celeba32-val-blobs-samples8.csv \
  --markdown results/celeba32-val-blobs-samples8.md --quiet
