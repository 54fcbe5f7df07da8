#!/usr/bin/env bash
# One command, fresh machine: set up (scripts/setup.sh: Node packages, .venv from the pinned
# requirements, Java check), run the whole job locally through the runner's local target
# (features -> PCA -> classifier -> report), then say where the results are.
#
#   bash scripts/demo-local.sh [IMAGE_ROOT] [--input DIR] [--output DIR] [--skip-setup] [fruits run options...]
#
# IMAGE_ROOT defaults to ../shared/data/fruits-360-sample (from the repo root), --output to
# ./runs. Every other option goes to `fruits run local` as is, e.g. --weights FILE, --k 20, or
# job-only options after `--` (-- --no-train). The ImageNet weights are downloaded once
# (internet); offline, add --weights ../shared/models/mobilenet_v2/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5
# (the real weights beside the sample), or --weights test-only-random:42 (meaningless features).
set -euo pipefail

caller_pwd=$PWD
repo=$(cd "$(dirname "$0")/.." && pwd)
abs() { case "$1" in /*|*://*) printf '%s' "$1" ;; *) printf '%s/%s' "$caller_pwd" "$1" ;; esac; }
die() { printf 'error: %s\n' "$*" >&2; exit 2; }

input="" output="" skip_setup=${FRUITS_DEMO_SKIP_SETUP:-0} run_id=""
pass=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    --input) [ $# -ge 2 ] || die "--input needs a folder"; input=$(abs "$2"); shift 2 ;;
    --input=*) input=$(abs "${1#--input=}"); shift ;;
    --output) [ $# -ge 2 ] || die "--output needs a folder"; output=$(abs "$2"); shift 2 ;;
    --output=*) output=$(abs "${1#--output=}"); shift ;;
    --run-id) [ $# -ge 2 ] || die "--run-id needs a name"; run_id=$2; shift 2 ;;
    --skip-setup) skip_setup=1; shift ;;
    --) pass+=("$@"); break ;;
    -*) pass+=("$1"); shift ;;
    *)
      if [ -z "$input" ] && [ ${#pass[@]} -eq 0 ]; then input=$(abs "$1"); shift
      else pass+=("$1"); shift; fi ;;
  esac
done
input=${input:-$repo/../shared/data/fruits-360-sample}
output=${output:-$repo/runs}
# Same form as the job's and the runner's default ids: the random suffix keeps two demos started
# in the same second apart.
run_id=${run_id:-run-$(date -u +%Y%m%d-%H%M%S)-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')}
[ -d "$input" ] || die "image folder $input does not exist; pass one (<root>/<Split>/<Label>/*.jpg) as the first argument"
input=$(cd "$input" && pwd)

cd "$repo"
if [ "$skip_setup" != 1 ]; then
  echo "[demo] setting up (scripts/setup.sh; the first time takes several minutes)" >&2
  bash scripts/setup.sh
fi

# A supported Node: the active one if it is 22.19+/24.11+, else the pinned Node 22 that setup
# fetched from the npm registry into its cache (scripts/node-toolchain.sh; setup printed why).
node_bin=$(bash scripts/node-toolchain.sh supported) || exit $?
node=node
[ "$node_bin" = "$(dirname "$(command -v node 2>/dev/null || echo /none/node)")" ] || node=$node_bin/node
echo "[demo] running the job locally on $input -> $output/$run_id" >&2
# Keep a copy of the output to spot the offline case (spark-submit merges the Python
# driver's stderr into its stdout, so the job's error line may be on either stream).
log=$(mktemp "${TMPDIR:-/tmp}/fruits-demo-XXXXXX")
trap 'rm -f "$log"' EXIT
set +e
"$node" runner/fruits.mjs run local --input "$input" --output "$output" --run-id "$run_id" "${pass[@]}" \
  > >(tee -a "$log") 2> >(tee -a "$log" >&2)
code=$?
set -e
wait  # let both tees finish writing
run_dir="$output/$run_id"
if [ "$code" != 0 ]; then
  if grep -q "could not get the ImageNet weights" "$log"; then
    echo "[demo] no internet for the ImageNet weights: rerun with a weights file (--weights ../shared/models/mobilenet_v2/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5, or your own copy) or, for a test-only run, bash scripts/demo-local.sh --weights test-only-random:42" >&2
  fi
  [ -f "$run_dir/summary.json" ] && echo "[demo] run folder (failed run): $run_dir" >&2
  exit "$code"
fi

photo=$(find "$input" -path '*/Test/*' -type f \( -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.png' \) 2>/dev/null | sort | head -n 1)
photo=${photo:-/path/to/photo.jpg}
cat <<EOF

Done. Results of run $run_id:
  run folder  $run_dir
  report      $run_dir/report.html   (open it in a browser)
  summary     $run_dir/summary.json
  metrics     $run_dir/metrics.json   (classifier accuracy, per-class scores, confusion matrix)
  features    $run_dir/features/      (Parquet: path, split, label, features, pca_features)
  models      $run_dir/models/        (classifier.json: the model file classify reads; pca, classifier: Spark's own; featurizer.onnx, featurizer.weights.h5)

Classify a photo with this run's models:
  $node runner/fruits.mjs classify "$photo" --run "$run_dir"
EOF
