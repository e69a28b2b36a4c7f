#!/usr/bin/env bash
# The semi-parametric issue's checkpoints, in dependency order: PConv (the descriptor and coarse-fill
# model), its retrieval database over the training split, then Sim-0 and Sim-1.
#   zoo/train_semi_parametric.sh faces|cifar [pconv|index|sim0|sim1]...   (MINUTES per model, default 35 / 15;
#   EPOCHS=N also stops at N epochs, to give Sim-0 and Sim-1 as many steps as PConv had)
# Set INPAINT_THREADS=1 when two of these run side by side on two cores.
set -euo pipefail
D=${DATA:-../shared/datasets}
which=$1
shift
if [ "$which" = faces ]; then
  suffix=celeba-64 minutes=${MINUTES:-35} data="$D/celeba/faces-4800-jpg.tar.gz" extra=()
else
  suffix=cifar10-32 minutes=${MINUTES:-15} data="$D/cifar10/train-jpg.tar.gz"
  extra=(--set size=32 --set 'dataset="CIFAR-10 train split (JPEG re-encoding), 45,000 images"'
         --set 'dataset_id="cifar10"' --set batch_size=32 --set val_images=1000 --set eval_images=1000)
fi
[ -n "${EPOCHS:-}" ] && extra+=(--epochs "$EPOCHS")
sim_network='{"widths": [32, 64, 128, 128], "kernels": [7, 5, 5, 3], "partial": false, "references": '
for step in "${@:-pconv index sim0 sim1}"; do
  for part in $step; do
    case $part in
      pconv) inpaint train pconv --data "$data" --out "zoo/pconv-$suffix" --max-minutes "$minutes" "${extra[@]}" --quiet ;;
      index) inpaint index build --data "$data" --model "pconv-$suffix" ;;
      sim0) inpaint train sim-k --data "$data" --out "zoo/sim0-$suffix" --max-minutes "$minutes" "${extra[@]}" \
              --set "network=${sim_network}0}" --quiet ;;
      sim1) inpaint train sim-k --data "$data" --out "zoo/sim1-$suffix" --max-minutes "$minutes" "${extra[@]}" \
              --set "database={\"model\": \"pconv-$suffix\", \"split\": \"train\"}" --quiet ;;
      *) echo "unknown step $part (pconv, index, sim0, sim1)" >&2; exit 2 ;;
    esac
  done
done
