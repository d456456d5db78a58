#!/bin/sh
# make bench: kvet check's throughput, CPU time and memory on a replicated real-world corpus, next
# to a plain libyaml parse of the same files measured in the same run, and single-file latency.
#
# usage: tests/bench/bench.sh path/to/kvet
#
# Needs ../shared (the corpus and the v1.35 swagger) and skips without it. The machines are shared
# and noisy, so every figure is a median of several runs, kvet and libyaml runs alternate, and the
# CPU ratio is the median of the ratios of runs made side by side. Settings from the environment:
#   BENCH_RUNS          throughput runs per mix (default 5)
#   BENCH_LATENCY_RUNS  single-file runs (default 21)
#   BENCH_JOBS          kvet -j (default: the CPU count)
#   BENCH_DOCS          documents the corpus holds at least (default 10000)
#   CC                  compiler for the helper programs (default cc)
# Everything it writes, the schema cache included, stays under build/bench. kvet exiting 1 (the
# corpus has real problems) is expected; any status but 0 or 1 fails the bench. A target missed is
# reported, not a failure: the figures depend on the machine.
set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 path/to/kvet" >&2
	exit 2
fi
case $1 in
/*) kvet=$1 ;;
*) kvet=$PWD/$1 ;;
esac
kvet_shown=$1
cd "$(dirname "$0")/../.."

shared=../shared
spec=$shared/k8s/swagger-v1.35.0.json
if [ ! -d "$shared/corpus" ] || [ ! -f "$spec" ]; then
	echo "bench: ../shared not found, skipping"
	exit 0
fi
if [ ! -x "$kvet" ]; then
	echo "bench: $kvet_shown is not an executable (run make first)" >&2
	exit 2
fi

out=build/bench
runs=${BENCH_RUNS:-5}
lat_runs=${BENCH_LATENCY_RUNS:-21}
jobs=${BENCH_JOBS:-$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)}
min_docs=${BENCH_DOCS:-10000}
for n in "$runs" "$lat_runs" "$jobs" "$min_docs"; do
	case $n in
	'' | *[!0-9]* | 0) echo "bench: BENCH_* settings must be positive whole numbers" >&2; exit 2 ;;
	esac
done
cc=${CC:-cc}
# The pre-commit case: one Deployment with its Services, as a developer would commit it (or,
# should the corpus change, the first file of r00 holding a Deployment).
one_file=$shared/corpus/microservices-demo/kubernetes-manifests/frontend.yaml

# The targets of the issues, for the full v1.35 swagger on a 2-core machine.
target_policy_ratio=1.5
target_docs=30000
target_ratio=3
target_rss_mib=45
target_ms=20

mkdir -p "$out"
XDG_CACHE_HOME=$PWD/$out/cache
export XDG_CACHE_HOME

# ---- helper programs ----

# The timer: /usr/bin/time may be absent and reports wall time in 10 ms steps, too coarse for
# the single-file figure, so a few lines of C measure instead.
cat >"$out/timer.c" <<'EOF'
/* timer OUTPUT COMMAND...: runs COMMAND with stdout and stderr sent to OUTPUT, then prints
 * "wall_us user_us sys_us cpu_us maxrss_kib status" (status: exit code, or 128 + signal). */
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long us(struct timeval t) { return t.tv_sec * 1000000LL + t.tv_usec; }

int main(int argc, char **argv)
{
	if (argc < 3) {
		fputs("usage: timer OUTPUT COMMAND...\n", stderr);
		return 2;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = fork();
	if (pid < 0) {
		perror("timer: fork");
		return 3;
	}
	if (pid == 0) {
		int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		close(fd);
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	int st;
	struct rusage ru;
	if (wait4(pid, &st, 0, &ru) < 0) {
		perror("timer: wait4");
		return 3;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long long wall = (t1.tv_sec - t0.tv_sec) * 1000000LL + (t1.tv_nsec - t0.tv_nsec) / 1000;
	long long user = us(ru.ru_utime), sys = us(ru.ru_stime);
	printf("%lld %lld %lld %lld %ld %d\n", wall, user, sys, user + sys, ru.ru_maxrss,
	       WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return 0;
}
EOF
$cc -O2 -o "$out/timer" "$out/timer.c"
timer=$out/timer

yaml_flags=$(pkg-config --cflags --libs yaml-0.1 2>/dev/null || echo -lyaml)
# shellcheck disable=SC2086 # pkg-config prints several flags
$cc -std=c11 -O2 -o "$out/yaml_baseline" tests/bench/yaml_baseline.c $yaml_flags

# ---- the corpus, rebuilt when the generator or the source corpus changed ----

stamp="mkcorpus $(cksum <tests/bench/mkcorpus.sh) docs $min_docs source $(
	cd "$shared/corpus" && find . -type f -exec cksum {} + | LC_ALL=C sort | cksum)"
if [ ! -d "$out/corpus" ] || [ ! -f "$out/corpus.env" ] ||
	[ "$(cat "$out/corpus.stamp" 2>/dev/null)" != "$stamp" ]; then
	rm -f "$out/corpus.stamp"
	sh tests/bench/mkcorpus.sh "$shared/corpus" "$out/corpus" "$min_docs"
	echo "$stamp" >"$out/corpus.stamp"
fi
replicas='' once_docs=''
full_files='' full_docs='' full_bytes='' manifests_files='' manifests_docs='' manifests_bytes=''
# shellcheck disable=SC1091 # written by mkcorpus.sh
. "$out/corpus.env"
if [ ! -f "$one_file" ]; then
	one_file=$(find "$out/corpus/r00" -name '*.yaml' -exec grep -l '^kind: Deployment' {} + |
		LC_ALL=C sort | head -n 1)
fi

# ---- running ----

# run LABEL COMMAND...: one timed run; its figures are appended to $out/LABEL.runs and its output
# kept in $out/LABEL.out. LABEL kvet-* may exit 0 or 1, anything else must exit 0.
run() {
	label=$1
	shift
	fig=$("$timer" "$out/$label.out" "$@" </dev/null)
	status=${fig##* }
	case $label:$status in
	kvet-*:0 | kvet-*:1 | *:0) ;;
	*)
		echo "bench: $label failed with status $status: $*" >&2
		tail -n 20 "$out/$label.out" >&2
		exit 1
		;;
	esac
	echo "$fig" >>"$out/$label.runs"
}

kvet_full() { run kvet-full "$kvet" check -j "$jobs" -s "$spec" "$out/corpus"; }
# The same without the built-in policy pack: the cost of the policies is the ratio of the two.
kvet_nopol() { run kvet-nopol "$kvet" check -j "$jobs" -s "$spec" --no-builtin-policies "$out/corpus"; }
kvet_manifests() {
	run kvet-manifests "$kvet" check -j "$jobs" -s "$spec" -s "$out/corpus/once" \
		"$out"/corpus/r[0-9][0-9]
}
yaml_full() { run yaml-full "$out/yaml_baseline" -l "$out/corpus.full"; }
yaml_manifests() { run yaml-manifests "$out/yaml_baseline" -l "$out/corpus.manifests"; }
kvet_one() { run kvet-one "$kvet" check -s "$spec" "$one_file"; }
kvet_start() { run kvet-start "$kvet" version; }

# pct LABEL COLUMN [P]: the P-th percentile (default 50, the median; nearest rank) of a column.
pct() {
	awk -v c="$2" '{ print $c }' "$out/$1.runs" | sort -n |
		awk -v p="${3:-50}" '{ v[NR] = $1 }
			END { k = int((NR * p + 99) / 100); print v[k < 1 ? 1 : k] }'
}

# ratio_median A B: the median over runs i of A's CPU time / B's CPU time in run i.
ratio_median() {
	paste -d ' ' "$out/$1.runs" "$out/$2.runs" | awk '{ print $4 / $10 }' | sort -n |
		awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

for label in kvet-full kvet-nopol kvet-manifests yaml-full yaml-manifests kvet-one kvet-start; do
	rm -f "$out/$label.runs" "$out/$label.out"
done

load=$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo unknown)
echo "bench: warming the schema cache ($out/cache) and checking exit codes ..."
kvet_full
kvet_manifests
kvet_one
for label in kvet-full kvet-manifests kvet-one; do
	rm -f "$out/$label.runs"
done
summary_full=$(grep '^kvet: [0-9]* files' "$out/kvet-full.out" || echo "(no summary line)")
summary_manifests=$(grep '^kvet: [0-9]* files' "$out/kvet-manifests.out" || echo "(no summary line)")

echo "bench: $runs runs per mix, -j $jobs ..."
i=0
while [ "$i" -lt "$runs" ]; do
	kvet_full
	kvet_nopol
	yaml_full
	kvet_manifests
	yaml_manifests
	i=$((i + 1))
done
echo "bench: $lat_runs single-file runs, each beside a run of 'kvet version' ..."
i=0
while [ "$i" -lt "$lat_runs" ]; do
	kvet_one
	kvet_start
	i=$((i + 1))
done

# ---- report ----

# calc FORMAT EXPRESSION NAME=VALUE...: an awk expression over the named values, formatted.
calc() {
	format=$1 expr=$2
	shift 2
	awk_vars=
	for nv in "$@"; do
		awk_vars="$awk_vars -v $nv"
	done
	# shellcheck disable=SC2086 # the -v options, made of numbers and names only
	awk $awk_vars "BEGIN { printf \"$format\", $expr }"
}

# figures MIX DOCS BYTES: the mix's row of the throughput table; its documents/s, CPU ratio and
# peak RSS also go to the variables MIX_docs_s, MIX_ratio and MIX_rss for the targets.
figures() {
	wall=$(pct "kvet-$1" 1)
	docs_s=$(calc %.0f "d / (w / 1e6)" d="$2" w="$wall")
	ratio=$(calc %.2f r r="$(ratio_median "kvet-$1" "yaml-$1")")
	rss=$(calc %.1f "r / 1024" r="$(pct "kvet-$1" 5)")
	cpu=$(pct "kvet-$1" 4)
	printf '  %-10s %7s %9s %7s %7s %11s %13s %9sx %9s MiB\n' "$1" \
		"$(calc %.3f "w / 1e6" w="$wall")" "$docs_s" \
		"$(calc %.1f "b / w" b="$3" w="$wall")" "$(calc %.3f "c / 1e6" c="$cpu")" \
		"$(calc %.0f "d / (c / 1e6)" d="$2" c="$cpu")" \
		"$(calc %.3f "c / 1e6" c="$(pct "yaml-$1" 4)")" "$ratio" "$rss"
	eval "${1}_docs_s=\$docs_s ${1}_ratio=\$ratio ${1}_rss=\$rss"
}

# verdict MEASURED OP TARGET: PASS or MISS.
verdict() {
	awk -v m="$1" -v op="$2" -v t="$3" 'BEGIN {
		ok = op == ">=" ? m + 0 >= t + 0 : m + 0 <= t + 0
		print ok ? "PASS" : "MISS" }'
}

mb() { calc "%.2f MB, %.1f KB per document" "b / 1e6, b / d / 1e3" b="$1" d="$2"; }

echo
echo "kvet bench: $kvet_shown ($("$kvet" version 2>/dev/null || echo "version unknown")), -j $jobs," \
	"$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?') CPUs, load average at start $load"
echo "schemas: $spec (cache warm, $out/cache)"
echo "corpus $out/corpus from $shared/corpus: $replicas replicas with distinct names," \
	"$once_docs documents kept once (CRDs, APIServices)"
echo "  full       $full_files files, $full_docs documents, $(mb "$full_bytes" "$full_docs")"
echo "             kvet: ${summary_full#kvet: }"
echo "  manifests  $manifests_files files, $manifests_docs documents," \
	"$(mb "$manifests_bytes" "$manifests_docs") (no CRD; CRDs from -s $out/corpus/once)"
echo "             kvet: ${summary_manifests#kvet: }"
echo
echo "throughput, medians of $runs runs (MB = 10^6 bytes; CPU = user + sys; libyaml: one core," \
	"events only; CPU ratio: the median of kvet / libyaml over runs made side by side):"
echo "  mix         wall s    docs/s    MB/s   CPU s  docs/CPU-s  libyaml CPU s  CPU ratio   peak RSS"
full_docs_s='' full_ratio='' full_rss='' manifests_docs_s='' manifests_ratio='' manifests_rss=''
figures full "$full_docs" "$full_bytes"
figures manifests "$manifests_docs" "$manifests_bytes"
policy_ratio=$(ratio_median kvet-full kvet-nopol)
nopol_wall=$(pct kvet-nopol 1)
policy_count=$("$kvet" policy list 2>/dev/null | wc -l)
echo
echo "policies: the full mix with the built-in pack ($policy_count policies) against --no-builtin-policies:"
echo "  wall median without $(calc %.3f "w / 1e6" w="$nopol_wall") s, with $(calc %.3f "w / 1e6" w="$(pct kvet-full 1)") s;" \
	"CPU ratio (median of side-by-side runs) $(calc %.2f r r="$policy_ratio")x"
lat_med=$(pct kvet-one 1 50)
lat_p90=$(pct kvet-one 1 90)
lat_ms=$(calc %.1f "u / 1000" u="$lat_med")
lat_p90_ms=$(calc %.1f "u / 1000" u="$lat_p90")
echo
echo "single file, $lat_runs runs: $one_file"
echo "  wall median $lat_ms ms, p90 $lat_p90_ms ms; peak RSS median" \
	"$(calc %.1f "r / 1024" r="$(pct kvet-one 5)") MiB"
echo "  of which process start (kvet version, median): $(calc %.1f "u / 1000" u="$(pct kvet-start 1)") ms"
echo
printf '  %-31s %-18s %-18s\n' "target" "full" "manifests"
printf '  %-31s %-18s %-18s\n' "documents/s >= $target_docs" \
	"$full_docs_s $(verdict "$full_docs_s" '>=' $target_docs)" \
	"$manifests_docs_s $(verdict "$manifests_docs_s" '>=' $target_docs)"
printf '  %-31s %-18s %-18s\n' "CPU / libyaml <= ${target_ratio}x" \
	"${full_ratio}x $(verdict "$full_ratio" '<=' $target_ratio)" \
	"${manifests_ratio}x $(verdict "$manifests_ratio" '<=' $target_ratio)"
printf '  %-31s %-18s %-18s\n' "peak RSS <= $target_rss_mib MiB" \
	"$full_rss MiB $(verdict "$full_rss" '<=' $target_rss_mib)" \
	"$manifests_rss MiB $(verdict "$manifests_rss" '<=' $target_rss_mib)"
printf '  %-31s %-18s\n' "single file <= $target_ms ms (median)" \
	"$lat_ms ms $(verdict "$lat_ms" '<=' $target_ms)"
printf '  %-31s %-18s\n' "policies CPU <= ${target_policy_ratio}x" \
	"$(calc %.2f r r="$policy_ratio")x $(verdict "$policy_ratio" '<=' $target_policy_ratio)"
