#!/bin/sh
# kustomize compatibility: every kustomization folder of ../shared/corpus and of fixtures/ is
# built by `kubectl kustomize` (the oracle) and by `kvet render --kustomize`; the two outputs
# must be the same objects with the same content in the same order. Prints the agreement
# table and each difference; fails below 95% agreement over the folders kubectl can build,
# or when kvet renders a folder kubectl refuses without reporting any problem.
# kubectl's outputs are cached in build/oracle, keyed by the contents of each repository.
# Skips (with a message) without kubectl; the corpus part skips without ../shared.
# For work on one area: COMPAT_REPOS="fixtures" (names of corpus repositories, or fixtures)
# limits the run; COMPAT_ORACLE sets the cache folder.
. tests/scripts/lib.sh
COMPARE=${RENDER_COMPARE:?set RENDER_COMPARE to the compare tool}
case "$COMPARE" in /*) ;; *) COMPARE="$ROOT/$COMPARE" ;; esac
if ! command -v kubectl >/dev/null 2>&1; then
	echo "skip: kubectl is not installed (it is the oracle for kustomize's behaviour)"
	exit 0
fi
ORACLE=${COMPAT_ORACLE:-$ROOT/build/oracle}
case "$ORACLE" in /*) ;; *) ORACLE="$ROOT/$ORACLE" ;; esac
mkdir -p "$ORACLE"
KVER=$(kubectl version --client 2>/dev/null | sed -n 's/^Kustomize Version: //p')
TARGET=95
REPORT="$TMP/report"
: > "$REPORT"
: > "$TMP/diffs"
total_ok=0 total_agree=0

# The kustomization folders below $1, relative to it, sorted.
folders() {
	(cd "$1" && find . \( -name kustomization.yaml -o -name kustomization.yml -o -name Kustomization \) \
		-not -path '*/.git/*' | sed 's|^\./||; s|/[^/]*$||; s|^kustomization.*$|.|; s|^Kustomization$|.|' | sort -u)
}

# repo NAME DIR: compares every folder of one repository.
repo() {
	name=$1 dir=$2
	key=$(cd "$dir" && find . -type f -not -path './.git/*' -print0 | sort -z | xargs -0 sha1sum | sha1sum | cut -c1-16)
	cache="$ORACLE/$name-$KVER-$key"
	mkdir -p "$cache"
	n=0 built=0 ident=0 equiv=0 differ=0 kfail=0 bothfail=0 onlykvet=0
	for f in $(folders "$dir"); do
		n=$((n + 1))
		slug=$(printf '%s' "$f" | tr '/' '_')
		if [ ! -f "$cache/$slug.rc" ]; then
			(cd "$dir" && kubectl kustomize "$f" > "$cache/$slug.yaml" 2> "$cache/$slug.err")
			echo $? > "$cache/$slug.rc"
		fi
		(cd "$dir" && "$KVET" render --kustomize "$f" --root . > "$TMP/kvet.yaml" 2> "$TMP/kvet.err")
		krc=$?
		if [ "$(cat "$cache/$slug.rc")" != 0 ]; then
			if [ "$krc" = 0 ] && [ ! -s "$TMP/kvet.err" ]; then
				onlykvet=$((onlykvet + 1))
				echo "KVET-ONLY $name/$f: kubectl fails ($(grep -o 'err=.*' "$cache/$slug.err" | head -c 160)), kvet renders it without a word" >> "$TMP/diffs"
			else
				bothfail=$((bothfail + 1))
			fi
			continue
		fi
		built=$((built + 1))
		if [ "$krc" -gt 1 ]; then
			kfail=$((kfail + 1))
			echo "KVET-FAILED $name/$f: exit $krc: $(head -c 300 "$TMP/kvet.err")" >> "$TMP/diffs"
			continue
		fi
		verdict=$("$COMPARE" "$cache/$slug.yaml" "$TMP/kvet.yaml" 2>&1)
		case "$verdict" in
		identical) ident=$((ident + 1)) ;;
		equivalent) equiv=$((equiv + 1)) ;;
		*)
			differ=$((differ + 1))
			echo "DIFF $name/$f: $verdict$( [ -s "$TMP/kvet.err" ] && printf ' (kvet: %s)' "$(head -1 "$TMP/kvet.err" | head -c 200)")" >> "$TMP/diffs"
			;;
		esac
	done
	printf '%-32s %7d %7d %9d %10d %9d %9d %9d %8d\n' "$name" "$n" "$built" "$ident" "$equiv" "$differ" "$kfail" \
		"$bothfail" "$onlykvet" >> "$REPORT"
	total_ok=$((total_ok + built))
	total_agree=$((total_agree + ident + equiv))
	onlykvet_total=$((${onlykvet_total:-0} + onlykvet))
}

corpus="$ROOT/../shared/corpus"
if [ -d "$corpus" ]; then
	for d in "$corpus"/*/; do
		case " ${COMPAT_REPOS:-$(basename "$d")} " in *" $(basename "$d") "*) repo "$(basename "$d")" "$d" ;; esac
	done
else
	echo "skip: ../shared/corpus is absent (it is not part of kvet's repository): fixtures only"
fi
case " ${COMPAT_REPOS:-fixtures} " in *" fixtures "*) repo fixtures "$ROOT/fixtures" ;; esac

echo "kustomize $KVER vs kvet render --kustomize"
printf '%-32s %7s %7s %9s %10s %9s %9s %9s %8s\n' repository folders kubectl identical equivalent different kvet-fail both-fail kvet-only
cat "$REPORT"
pct=0
[ "$total_ok" -gt 0 ] && pct=$((total_agree * 1000 / total_ok))
printf 'agreement: %d of %d folders kubectl builds (%d.%d%%)\n' "$total_agree" "$total_ok" $((pct / 10)) $((pct % 10))
cat "$TMP/diffs"
[ "$pct" -ge $((TARGET * 10)) ] && ok || bad "agreement below $TARGET%"
[ "${onlykvet_total:-0}" = 0 ] && ok || bad "kvet renders folders kubectl refuses, without a word"
finish
