#!/usr/bin/env bash
# Measures platformc impact on the synthetic workload (internal/benchgen),
# as CI runs it on a merge request: the build cache restored from the
# target branch's build (warm at REF), one change in the working tree.
#
#   bench/impact.sh N [RUNS] [DIR]
#
# N clusters; each figure is the minimum wall time, the minimum CPU time
# (user + system: less sensitive than wall time to a machine shared with
# other work) and the maximum peak RSS over RUNS runs (default 3), the
# cache put back as the target branch left it before each run. impact is
# compared with a cold evaluation (vet --no-cache) of the clusters the
# change concerns, alone in a module of their own, and of every cluster
# (which is what the clusters enabling a bundle that every cluster enables
# cost). Work goes to DIR (default: a fresh folder on tmpfs /dev/shm).
# Needs git and GNU time (/usr/bin/time).
set -euo pipefail
n=${1:?usage: bench/impact.sh N [RUNS] [DIR]}
runs=${2:-3}
repo=$(cd "$(dirname "$0")/.." && pwd)
base=${3:-/dev/shm}
work=$(mktemp -d "$base/platformc-impact-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@corp.local GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@corp.local

(cd "$repo" && go build -o "$work/platformc" ./cmd/platformc && go run ./internal/benchgen -n "$n" -o "$work/pc")
pc="$work/platformc"
cd "$work/pc"
git init -q && git add -A && git commit -qm "$n clusters"

# The target branch's CI build leaves the cache impact starts from.
"$pc" build -q --cache-dir "$work/cache" -o "$work/out"

# measure NAME SETUP COMMAND...: as in bench/compare.sh.
measure() {
  local name=$1 setup=$2; shift 2
  local best="" cpu="" rss=0
  for _ in $(seq "$runs"); do
    eval "$setup"
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || {
      code=$?; [ "$code" -eq 3 ] || { cat "$work/stderr" >&2; exit 1; } # 3: impact found changes
    }
    # GNU time writes "Command exited with non-zero status 3" first.
    read -r t u s m < <(tail -n 1 "$work/time")
    c=$(awk "BEGIN{print $u + $s}")
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
    if [ -z "$cpu" ] || awk "BEGIN{exit !($c < $cpu)}"; then cpu=$c; fi
    if [ "$m" -gt "$rss" ]; then rss=$m; fi
  done
  echo "$name $best $cpu $rss"
}
warm='rm -rf "$work/run-cache" && cp -a "$work/cache" "$work/run-cache"'
impact=("$pc" impact -q --exit-code --against HEAD --cache-dir "$work/run-cache")

# One bundle that about half the clusters enable, one app's values edited;
# then one that every cluster enables (monitoring-basic); then one
# cluster's value.
bundle=finops-basic
edit="bundles: \"$bundle\": apps: opencost: values: opencost: podAnnotations: team: \"finops\""
enabling=$(grep -l "\"$bundle\"" clusters/*/*/cluster.cue | wc -l)
cluster_file=$(ls clusters/dev/*/cluster.cue | head -n 1 || true)

# The enabling clusters alone, in a module of their own.
cp -a "$work/pc" "$work/only"
(cd "$work/only" && rm -rf .git && for f in clusters/*/*/cluster.cue; do grep -q "\"$bundle\"" "$f" || rm -r "$(dirname "$f")"; done)

{
  measure "impact-nothing-changed" "$warm" "${impact[@]}"
  # Each edit goes into the bundle's own file, as a team edits a bundle.
  echo "$edit" >>"bundles/$bundle.cue"
  measure "impact-one-bundle" "$warm" "${impact[@]}"
  git checkout -q "bundles/$bundle.cue"
  echo 'bundles: "monitoring-basic": apps: "victoria-metrics-agent": values: "victoria-metrics-agent": podAnnotations: team: "observability"' >>bundles/monitoring-basic.cue
  measure "impact-bundle-everywhere" "$warm" "${impact[@]}"
  git checkout -q bundles/monitoring-basic.cue
  sed -i '0,/replicaCount: [0-9]*/s//replicaCount: 9/' "$cluster_file"
  measure "impact-one-cluster" "$warm" "${impact[@]}"
  git checkout -q "$cluster_file"
  measure "vet-cold-enabling" ":" sh -c "cd '$work/only' && '$pc' vet -q --no-cache"
  measure "vet-cold-all" ":" "$pc" vet -q --no-cache
} >"$work/results"

echo "N=$n clusters, $enabling enable $bundle; best of $runs runs, under $base ($(date -u +%F), $(nproc) cores)"
awk '{printf "%-24s %8.2f s wall %8.2f s CPU %7.0f MB\n", $1, $2, $3, $4/1024}' "$work/results"
