#!/usr/bin/env bash
# Fits every statistical checkpoint of the MLE issue, in order (each is also one `inpaint train` command).
set -euo pipefail
D=${DATA:-../shared/datasets}
CELEBA="dataset_id=\"celeba\""
inpaint train mle-normal --out zoo/normal-cifar10-32 --quiet
inpaint train mle-matrix-normal --out zoo/mn-celeba-64 --quiet
inpaint train mle-normal --out zoo/normal-celeba-32 --data $D/celeba/faces-4800-jpg.tar.gz --quiet \
  --set "$CELEBA" --set 'dataset="CelebA faces (4,800 aligned; centre crop 178 -> 32 px)"' --set eval_images=480 --set eval_masks=centre
inpaint train mle-matrix-normal --out zoo/mn-sunhays-1024 --data $D/sun_hays80/sun-hays80-jpg.tar.gz --quiet \
  --set dataset_id='"sun-hays80"' --set 'dataset="Sun-Hays80 scene photos (centre crop, resized to 1024 px)"' \
  --set size=1024 --set 'network={"size": 1024, "iterations": 6, "ridge": 0.001}' --set eval_images=8 --set eval_masks=centre324
inpaint train mle-gmm --out zoo/gmm-cifar10-32 --quiet --set eval_images=500
inpaint train mle-gmm --out zoo/gmm-celeba-32 --data $D/celeba/faces-4800-jpg.tar.gz --quiet \
  --set "$CELEBA" --set 'dataset="CelebA faces (4,800 aligned; centre crop 178 -> 32 px)"' --set eval_images=480 --set eval_masks=centre
