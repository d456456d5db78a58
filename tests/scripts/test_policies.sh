#!/bin/sh
# The built-in pack: every policy loads, has a description and test cases that fail and that
# pass (or do not apply), and its cases pass; every policy can be explained.
. tests/scripts/lib.sh
cd "$ROOT"

run "$KVET" policy test policies/
printf '%s\n' "$OUT" | tail -1
expect_code 0 "the pack's test cases pass"
expect_out "0 failed" "no case fails"

ids=$("$KVET" policy list | awk '{print $1}')
[ -n "$ids" ] && ok || bad "kvet policy list lists no policy"
for id in $ids; do
	run "$KVET" policy explain "$id"
	expect_code 0 "kvet policy explain $id"
	printf '%s\n' "$OUT" | sed -n 3p | grep -q . && ok || bad "$id has no description"
	# Each built-in policy has a test file beside it with a failing and a passing case.
	tests=$(grep -rl "name: $id\$" policies --include='*.test.yaml' | head -1)
	if [ -z "$tests" ]; then
		bad "$id has no PolicyTest file"
		continue
	fi
	grep -q 'expect: fail' "$tests" && ok || bad "$id has no failing case ($tests)"
	grep -qE 'expect: (pass|skip)' "$tests" && ok || bad "$id has no case that passes or is skipped ($tests)"
done

# The pack loads with kvet check and without noise on a clean object.
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: app}\ndata: {a: b}\n' > "$TMP/cm.yaml"
run "$KVET" check "$TMP/cm.yaml" -s "$MINI"
expect_code 0 "a plain ConfigMap passes every built-in policy"
finish
