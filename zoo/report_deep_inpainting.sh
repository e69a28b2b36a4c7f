#!/usr/bin/env bash
# The Deep Image Inpainting issue's table and figure: CIFAR-10 validation split, 8x8 centre hole.
# Every method sees the same 5,000 validation images and masks (seed 0); the classical rows are shared
# with the baseline table of docs/results/classical-cifar10.md, and a rerun only measures what is missing.
set -euo pipefail
D=${DATA:-../shared/datasets}
CIFAR="$D/cifar10/train-jpg.tar.gz"
LEARNED=l2-context-encoder@l2ce-cifar10-32,wgan-context-encoder@wgan-ce-cifar10-32
LEARNED=$LEARNED,pixelcnn-greedy@pixelcnn-cifar10-32,row-lstm@rowlstm-cifar10-32
BASE=mle-normal@normal-cifar10-32,telea,biharmonic,mean-colour
# the likelihood models again, each sub-pixel set to the mean of its distribution instead of its mode
DECIDED=pixelcnn-greedy@pixelcnn-cifar10-32?mode=mean,row-lstm@rowlstm-cifar10-32?mode=mean
inpaint benchmark --methods "$LEARNED,$BASE,$DECIDED" --data "$CIFAR" --split val --masks centre8 --seed 0 \
  --out results/cifar10-val-centre8.csv --markdown results/cifar10-val-centre8.md --against mean-colour --quiet
inpaint figure --methods "$LEARNED,$DECIDED,mle-normal@normal-cifar10-32,biharmonic" --data "$CIFAR" --split val \
  --masks centre8 -n 8 --scale 3 -o docs/figures/deep-inpainting-cifar10-centre8.png
