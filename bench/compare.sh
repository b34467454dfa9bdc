#!/usr/bin/env bash
# Measures platformc against the Python + Jinja templater it replaces, side
# by side in one run, on the same synthetic workload (../shared/baseline):
#
#   bench/compare.sh [--fleet] N [RUNS] [DIR]
#
# N clusters; each figure is the minimum wall time and the maximum peak RSS
# over RUNS runs (default 3). Output goes to DIR (default: a fresh folder on
# tmpfs /dev/shm); pass a folder on disk to measure the disk. --fleet
# measures gen.py's shared-settings workload instead (gen.py --fleet,
# benchgen -fleet): apps' parameters set per environment, the registry per
# region, the cluster's name read by three apps. Needs /usr/bin/python3
# with python3-yaml, python3-jinja2, python3-schema, and GNU time
# (/usr/bin/time).
set -euo pipefail
fleet=()
if [ "${1:-}" = --fleet ]; then
  fleet=(--fleet)
  shift
fi
n=${1:?usage: bench/compare.sh [--fleet] N [RUNS] [DIR]}
runs=${2:-3}
repo=$(cd "$(dirname "$0")/.." && pwd)
baseline=${BASELINE:-$repo/../shared/baseline}
base=${3:-/dev/shm}
work=$(mktemp -d "$base/platformc-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

(cd "$repo" && go build -o "$work/platformc" ./cmd/platformc && go build -o "$work/benchgen" ./internal/benchgen &&
  "$work/benchgen" -n "$n" ${fleet:+-fleet} -o "$work/pc")
/usr/bin/python3 "$baseline/gen.py" "$n" "$work/tpl" "${fleet[@]}"
pc="$work/platformc"

# measure NAME SETUP COMMAND...: runs SETUP then COMMAND RUNS times, prints
# "NAME seconds kilobytes".
measure() {
  local name=$1 setup=$2; shift 2
  local best="" rss=0
  for _ in $(seq "$runs"); do
    eval "$setup"
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || { cat "$work/stderr" >&2; exit 1; }
    read -r t m <"$work/time"
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
    if [ "$m" -gt "$rss" ]; then rss=$m; fi
  done
  echo "$name $best $rss"
}

cd "$work/pc"
dirs=(clusters/dev/*/) # a glob, not ls | head: pipefail would see head close the pipe
cluster=${dirs[0]}
{
  measure templater ":" /usr/bin/python3 "$baseline/templater.py" "$work/tpl/config.yml" "$work/tpl/templates" "$work/tpl/out"
  measure "platformc-cold" "rm -rf $work/cache $work/out" "$pc" build -q --cache-dir "$work/cache" -o "$work/out"
  measure "platformc-warm" ":" "$pc" build -q --cache-dir "$work/cache" -o "$work/out"
  measure "platformc-check-warm" ":" "$pc" build -q --check --cache-dir "$work/cache" -o "$work/out"
  # A directory's times changed in DIR: the build cannot take DIR as the
  # one it wrote, and serves every cluster from the cache and compares.
  measure "platformc-warm-touched" "touch $work/out/cluster" "$pc" build -q --cache-dir "$work/cache" -o "$work/out"
  measure "platformc-one-changed" "echo '// edit' >> $cluster/cluster.cue" "$pc" build -q --cache-dir "$work/cache" -o "$work/out"
  # One value of velero's in bundle storage-basic, which about half the
  # clusters enable: only those are evaluated again.
  measure "platformc-bundle-edit" "$work/benchgen -edit bundle -o $work/pc" "$pc" build -q --cache-dir "$work/cache" -o "$work/out"
  measure "build-one-cluster" "rm -rf $work/one" "$pc" build -q --no-cache -o "$work/one" "./$cluster"
  measure "vet-one-cluster" ":" "$pc" vet -q --no-cache "./$cluster"
} >"$work/results"

files=$(find "$work/out" -type f | wc -l)
echo "N=$n clusters${fleet:+ (shared-settings workload)}, $files files, best of $runs runs, output under $base ($(date -u +%F), $(nproc) cores)"
awk 'NR==1{tt=$2} {printf "%-22s %8.2f s %7.0f MB  %6.2fx templater\n", $1, $2, $3/1024, $2/tt}' "$work/results"
