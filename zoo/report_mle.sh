#!/usr/bin/env bash
# The MLE issue's table: every CIFAR-10 distribution against the baselines on three protocols, validation split.
set -euo pipefail
D=${DATA:-../shared/datasets}
N=${N:-200}
M=${METHODS:-mle-normal@normal-cifar10-32,mle-gmm@gmm-cifar10-32,mle-pixelcnnpp@pixelcnnpp-cifar10-32,telea,biharmonic}
for masks in centre8 rect blobs; do
  inpaint benchmark --methods "$M" --data "$D/cifar10/train-jpg.tar.gz" --split val --masks $masks --n "$N" --seed 0 \
    --out "results/mle-cifar10-$masks.csv" --markdown "results/mle-cifar10-$masks.md" --quiet
done
