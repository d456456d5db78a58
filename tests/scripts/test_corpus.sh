#!/bin/sh
# Real configuration repositories from ../shared/corpus, against the full v1.35 spec: nothing
# may crash, leave the run incomplete (exit 3) or be a usage error (exit 2); kube-prometheus,
# whose CRDs supply its custom resources, must validate completely. Skips without ../shared.
. tests/scripts/lib.sh
corpus="$ROOT/../shared/corpus"
spec="$ROOT/../shared/k8s/swagger-v1.35.0.json"
if [ ! -d "$corpus" ] || [ ! -f "$spec" ]; then
	echo "skip: ../shared/corpus or the v1.35 spec is absent (they are not part of kvet's repository)"
	exit 0
fi

run "$KVET" check "$corpus/kube-prometheus" -s "$spec" -f json -q --no-builtin-policies
expect_code 0 "kube-prometheus is valid against v1.35 and its own CRDs"
expect_out '"documents": 95,' "all 95 documents are read"
expect_out '"objects": 131,' "typed lists (RoleList...) are expanded into their items"
expect_out '"withoutSchema": 0,' "every custom resource finds its CRD in the repository"
expect_out '"notRead": 0,' "nothing skipped"

for dir in "$corpus"/*/; do
	run "$KVET" check "$dir" -s "$spec" -q
	case "$CODE" in
	0 | 1) ok ;;
	*) bad "$(basename "$dir"): exit $CODE"; printf '%s\n' "$OUT" | tail -5 ;;
	esac
done

# The built-in pack on real repositories: every policy expects the shapes real objects have
# (no policy/error), and CRD rules either run or are counted.
run "$KVET" check "$corpus" -s "$spec" -f json
expect_no_out '"rule": "policy/error"' "no built-in policy fails to evaluate on the corpus"
expect_no_out '"rule": "schema/rule-error"' "no CRD rule fails to evaluate on the corpus"
expect_out '"rule": "hygiene/plaintext-secret"' "kube-prometheus' plaintext Secrets are found"

# The same findings whatever the thread count.
"$KVET" check "$corpus" -s "$spec" -f json -j 1 > "$TMP/j1.json" 2>&1
"$KVET" check "$corpus" -s "$spec" -f json -j 7 > "$TMP/j7.json" 2>&1
cmp -s "$TMP/j1.json" "$TMP/j7.json" && ok || bad "output differs between -j 1 and -j 7"

cd "$ROOT" || exit 1
finish
