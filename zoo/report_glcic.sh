#!/usr/bin/env bash
# The GLCIC issue's tables and figures: CIFAR-10 rectangles, BSDS500 photos with strokes, 512 px speed.
set -euo pipefail
D=${DATA:-../shared/datasets}
BASE=telea,navier-stokes,biharmonic,mle-normal@normal-cifar10-32
G=glcic@glcic-cifar10-32
E=glcic@glcic-ensemble-cifar10-32
inpaint benchmark --methods "$BASE,$G,$G?mirror=true,$E,$E?mirror=true,glcic@glcic-bsds500-64" --against "$G" \
  --data "$D/cifar10/train-jpg.tar.gz" --split val --masks rect --seed 0 \
  --out results/cifar10-val-rect.csv --markdown results/cifar10-val-rect.md --quiet
inpaint benchmark --methods telea,biharmonic,glcic@glcic-bsds500-64,glcic@glcic-cifar10-32 \
  --data "$D/bsds500/images-jpg.tar.gz" --split val --masks strokes --seed 0 \
  --out results/bsds500-val-strokes.csv --markdown results/bsds500-val-strokes.md --quiet
inpaint benchmark --methods telea,biharmonic,glcic@glcic-bsds500-64 \
  --data "$D/bsds500/images-jpg.tar.gz" --split val --size 64 --crops 4 --masks strokes --seed 0 \
  --out results/bsds500-val-crops64-strokes.csv --markdown results/bsds500-val-crops64-strokes.md --quiet
inpaint benchmark --methods glcic@glcic-bsds500-64,telea,biharmonic --data bundled --size 512 \
  --masks strokes --ratio 0.09,0.11 --seed 0 \
  --out results/speed-512-strokes10.csv --markdown results/speed-512-strokes10.md --quiet
inpaint figure --methods "telea,biharmonic,$G,$E?mirror=true" --data "$D/cifar10/train-jpg.tar.gz" \
  --split val --masks rect -n 8 --scale 3 -o docs/figures/glcic-cifar10-rect.png
inpaint figure --methods telea,biharmonic,glcic@glcic-bsds500-64 --data "$D/bsds500/images-jpg.tar.gz" \
  --split val --masks strokes -n 4 -o docs/figures/glcic-bsds500-strokes.png
