#!/usr/bin/env bash
# The two Pixel Constrained CNN checkpoints, as they were trained here (one thread each, side by side):
# 45 minutes on the paper's random blobs (4-6% holes at this size), then resumed to 85 minutes on a
# mixture that adds larger blobs and bottom-only masks (top 50% / 75% hidden), without which the
# models never learn to generate a large region.
set -euo pipefail
D=${DATA:-../shared/datasets}
MIXTURE='"blobs+blobs:8:12+top:0.5+top:0.75"'
mnist() {
  inpaint train pixel-constrained-cnn --data "$D/mnist/t10k-images-idx3-ubyte.gz" --out zoo/pccnn-mnist-28 --seed 0 \
    --epochs 60 --set 'dataset="MNIST digits (the 10,000-digit test file here; binarised at 0.5)"' \
    --set 'dataset_id="mnist"' --set size=28 --set flip=false --set eval_images=200 --set val_images=500 \
    --set 'network={"size": 28, "channels": 1, "levels": 2, "hidden": 32, "layers": 7, "kernel": 5, "cond_width": 32, "dilations": [1, 2, 4, 8, 1, 2, 4, 8]}' \
    --set 'reductions="prior: restricted + 6 gated layers of 32 filters (paper: 1 + 14 of 32); conditioning: 8 dilated 3x3 residual blocks of 32 (paper: 15 undilated 5x5 of 32); 8,000 training digits from the MNIST test file"' \
    --quiet "$@"
}
celeba() {
  inpaint train pixel-constrained-cnn --data "$D/celeba/faces-4800-jpg.tar.gz" --out zoo/pccnn-celeba-32 --seed 0 \
    --epochs 60 --quiet "$@"
}
for model in mnist celeba; do
  $model --max-minutes 45
  $model --max-minutes 85 --resume --set "masks=$MIXTURE"
done
