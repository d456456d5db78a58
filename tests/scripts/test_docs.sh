#!/bin/sh
# README.md must stay true to the code: every rule id, every option of every subcommand, and
# every configuration key the binary knows is documented there.
. tests/scripts/lib.sh
readme="$ROOT/README.md"

for rule in $("$KVET" rules | awk '{print $1}'); do
	grep -qF "\`$rule\`" "$readme" && ok || bad "README does not document rule $rule"
done

for id in $("$KVET" policy list | awk '{print $1}'); do
	grep -qF "\`$id\`" "$readme" && ok || bad "README does not list policy $id"
done

for cmd in check schemas policy cel render; do
	for opt in $("$KVET" $cmd --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
		grep -qF -- "$opt" "$readme" && ok || bad "README does not document kvet $cmd $opt"
	done
done

# The configuration keys, as the parser lists them when it meets an unknown one.
printf 'unknownKey: 1\nlimits:\n  unknownLimit: 1\n' > "$TMP/probe.yaml"
run "$KVET" check "$ROOT/fixtures/demo" -c "$TMP/probe.yaml"
keys=$(printf '%s\n' "$OUT" | sed -n 's/.*(known: \(.*\))$/\1/p' | tr -d ',')
limits=$(printf '%s\n' "$OUT" | sed -n 's/.*unknown key limits.unknownLimit (\(.*\))$/\1/p' | tr -d ',')
[ -n "$keys" ] && [ -n "$limits" ] && ok || bad "could not read the configuration keys from kvet"
for key in $keys $limits; do
	grep -qE "^ *$key:" "$readme" && ok || bad "README's .kvet.yaml example lacks $key"
done

# The exit codes kvet --help lists are the README's.
for code in 0 1 2 3; do
	grep -qE "^\| $code \|" "$readme" && ok || bad "README lacks exit code $code"
done

finish
