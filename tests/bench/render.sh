#!/bin/sh
# make bench, rendering: kvet's native kustomize against `kubectl kustomize` over the same
# folders of the corpus repository with the most kustomization folders.
#
# usage: tests/bench/render.sh path/to/kvet
#
# Two kvet figures: one process per folder (`kvet render --kustomize F`, as kubectl is run), and
# one process rendering every unit of the repository (`kvet render REPO`, as `kvet check` does).
# Only folders kubectl builds are timed. Wall times are medians of several runs, kvet and kubectl
# runs alternating; the machines are shared and noisy, so the ratio is the figure to read. Needs
# ../shared and kubectl; skips without them. Settings: BENCH_RENDER_RUNS (default 5).
set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 path/to/kvet" >&2
	exit 2
fi
case $1 in
/*) kvet=$1 ;;
*) kvet=$PWD/$1 ;;
esac
cd "$(dirname "$0")/../.."
corpus=../shared/corpus
if [ ! -d "$corpus" ]; then
	echo "bench render: ../shared/corpus not found, skipping"
	exit 0
fi
if ! command -v kubectl >/dev/null 2>&1; then
	echo "bench render: kubectl not found (the kustomize to compare with), skipping"
	exit 0
fi
runs=${BENCH_RENDER_RUNS:-5}
case $runs in '' | *[!0-9]* | 0) echo "bench render: BENCH_RENDER_RUNS must be a positive whole number" >&2; exit 2 ;; esac
out=build/bench/render
mkdir -p "$out"
target=20

folders() {
	(cd "$1" && find . \( -name kustomization.yaml -o -name kustomization.yml -o -name Kustomization \) \
		-not -path '*/.git/*' | sed 's|^\./||; s|/[^/]*$||; s|^kustomization.*$|.|; s|^Kustomization$|.|' |
		LC_ALL=C sort -u)
}

# The repository with the most kustomization folders.
best='' most=0
for d in "$corpus"/*/; do
	n=$(folders "$d" | wc -l)
	if [ "$n" -gt "$most" ]; then
		most=$n best=${d%/}
	fi
done
if [ -z "$best" ]; then
	echo "bench render: no kustomization folder in $corpus, skipping"
	exit 0
fi

# The folders kubectl builds.
: >"$out/folders"
for f in $(folders "$best"); do
	if (cd "$best" && kubectl kustomize "$f" >/dev/null 2>&1); then
		echo "$f" >>"$out/folders"
	fi
done
built=$(wc -l <"$out/folders")

now_us() { echo $(($(date +%s%N) / 1000)); }

# time_loop LABEL COMMAND...: COMMAND run once per folder (the folder appended), wall time
# appended to $out/LABEL.runs.
time_loop() {
	label=$1
	shift
	t0=$(now_us)
	while read -r f; do
		(cd "$best" && "$@" "$f" >/dev/null 2>&1) || true
	done <"$out/folders"
	t1=$(now_us)
	echo $((t1 - t0)) >>"$out/$label.runs"
}

time_units() {
	t0=$(now_us)
	"$kvet" render "$best" >/dev/null 2>&1 || true
	t1=$(now_us)
	echo $((t1 - t0)) >>"$out/kvet-units.runs"
}

median() { sort -n "$out/$1.runs" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

rm -f "$out"/*.runs
units_ok=0
if "$kvet" render "$best" >/dev/null 2>&1 || [ $? -eq 1 ]; then
	units_ok=1
fi
i=0
while [ "$i" -lt "$runs" ]; do
	time_loop kubectl kubectl kustomize
	time_loop kvet "$kvet" render --kustomize
	[ "$units_ok" = 1 ] && time_units
	i=$((i + 1))
done

k=$(median kubectl)
v=$(median kvet)
ms() { awk -v u="$1" 'BEGIN { printf "%.1f", u / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }'; }
verdict() { awk -v r="$1" -v t="$target" 'BEGIN { print (r + 0 >= t + 0 ? "PASS" : "MISS") }'; }
echo
echo "render bench: $(basename "$best") ($most kustomization folders, $built built by kubectl), medians of $runs runs"
echo "  kubectl kustomize, one process per folder   $(ms "$k") ms"
r1=$(ratio "$k" "$v")
echo "  kvet render --kustomize, one per folder     $(ms "$v") ms   ${r1}x faster   (target >= ${target}x: $(verdict "$r1"))"
if [ "$units_ok" = 1 ]; then
	u=$(median kvet-units)
	r2=$(ratio "$k" "$u")
	echo "  kvet render of every unit, one process      $(ms "$u") ms   ${r2}x faster   (target >= ${target}x: $(verdict "$r2"))"
fi
