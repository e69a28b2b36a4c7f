#!/usr/bin/env bash
# The semi-parametric issue's Table 1 and Figures 5-6: validation faces (CelebA 64) and CIFAR-10 with
# the NVIDIA irregular masks, per hole-ratio bucket. Needs the two retrieval databases first:
#   zoo/train_semi_parametric.sh faces index; zoo/train_semi_parametric.sh cifar index
set -euo pipefail
D=${DATA:-../shared/datasets}
NV="files:$D/masks/nvidia-irregular-even-6000.tar.gz"
FACES="$D/celeba/faces-4800-jpg.tar.gz"
CIFAR="$D/cifar10/train-jpg.tar.gz"
INDEX=${INPAINT_INDEX_DIR:-$HOME/.cache/inpaint-zoo/index}
# retrieval quality: how often the nearest database image is the same person / the same class
inpaint index evaluate "$INDEX/faces-4800-jpg-train-64-pconv-celeba-64" --data "$FACES" --masks "$NV" > results/retrieval-celeba64.json
inpaint index evaluate "$INDEX/train-jpg-train-32-pconv-cifar10-32" --data "$CIFAR" --masks "$NV" > results/retrieval-cifar10.json
S1=sim-k@sim1-celeba-64
inpaint benchmark --methods "telea,biharmonic,glcic@glcic-bsds500-64,pconv@pconv-celeba-64,sim-k@sim0-celeba-64,$S1,$S1?auxiliary=random,$S1?auxiliary=noise" \
  --data "$FACES" --split val --size 64 --masks "$NV" --seed 0 \
  --out results/celeba64-val-nvidia.csv --markdown results/celeba64-val-nvidia.md --quiet
C1=sim-k@sim1-cifar10-32
inpaint benchmark --methods "telea,biharmonic,glcic@glcic-cifar10-32,pconv@pconv-cifar10-32,sim-k@sim0-cifar10-32,$C1,$C1?auxiliary=random" \
  --data "$CIFAR" --split val --size 32 --masks "$NV" --seed 0 \
  --out results/cifar10-val-nvidia.csv --markdown results/cifar10-val-nvidia.md --quiet
# Figure 6: original, masked, PConv, Sim-1 and the neighbour it retrieved
inpaint figure --methods pconv@pconv-celeba-64,$S1 --data "$FACES" --split val --size 64 --masks "$NV" -n 8 \
  --scale 2 -o docs/figures/sim1-celeba64-nvidia.png
# Figure 5: Sim-1 with a random face and with noise as its auxiliary image
inpaint figure --methods "$S1,$S1?auxiliary=random,$S1?auxiliary=noise" --data "$FACES" --split val --size 64 \
  --masks "$NV" -n 4 --scale 2 -o docs/figures/sim1-celeba64-auxiliary.png
# The perceptual and style terms, with the zoo PConv's frozen encoder standing in for VGG-16: two
# copies of pconv-celeba-64 trained 4 more epochs, without and with the terms, the last weights kept.
# Resuming needs its training state (zoo/pconv-celeba-64/.training: on the machine that trained it,
# not committed); without it the two runs start from scratch.
W=${WORK:-/tmp/pconv-ablation}
for variant in plain perceptual; do
  rm -rf "$W/$variant" && mkdir -p "$W/$variant" && cp -a zoo/pconv-celeba-64/. "$W/$variant/"
  extra=(); [ $variant = perceptual ] && extra=(--set 'feature_model="pconv-celeba-64"')
  inpaint train pconv --out "$W/$variant" --resume --epochs 22 --max-minutes 75 --set early_stopping=false "${extra[@]}" --quiet
done
inpaint benchmark --methods "pconv@$W/plain,pconv@$W/perceptual" --data "$FACES" --split val --size 64 --masks "$NV" \
  --seed 0 --out results/pconv-perceptual-ablation.csv --markdown results/pconv-perceptual-ablation.md --quiet
inpaint figure --methods "pconv@$W/plain,pconv@$W/perceptual" --data "$FACES" --split val --size 64 --masks "$NV" -n 6 \
  --scale 2 -o docs/figures/pconv-perceptual-ablation.png
