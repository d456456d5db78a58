#!/bin/sh
# Golden CLI tests. Each folder under tests/golden/ is one case:
#   cmd     one shell command line, run from the repository root; $KVET is the binary
#   stdout  the exact expected standard output
#   exit    the expected exit code
#   stderr  (optional) the exact expected standard error
# Every case gets its own empty schema cache. UPDATE=1 rewrites the expectations from the
# actual results: review the diff before committing (golden files are reviewed, never
# regenerated blindly).
set -u
kvet=${1:?usage: tests/golden/run.sh path/to/kvet}
case "$kvet" in /*) ;; *) kvet="$PWD/$kvet" ;; esac
export KVET="$kvet" NO_COLOR=1 LC_ALL=C TERM=dumb
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
pass=0
fail=0
for dir in tests/golden/*/; do
	dir=${dir%/}
	name=${dir##*/}
	[ -f "$dir/cmd" ] || continue
	export XDG_CACHE_HOME="$tmp/cache-$name"
	mkdir -p "$XDG_CACHE_HOME"
	sh -c "$(cat "$dir/cmd")" >"$tmp/stdout" 2>"$tmp/stderr"
	code=$?
	if [ "${UPDATE:-}" = 1 ]; then
		cp "$tmp/stdout" "$dir/stdout"
		echo "$code" >"$dir/exit"
		if [ -s "$tmp/stderr" ] || [ -f "$dir/stderr" ]; then cp "$tmp/stderr" "$dir/stderr"; fi
	fi
	ok=1
	want=$(cat "$dir/exit" 2>/dev/null || echo missing)
	if [ "$code" != "$want" ]; then
		echo "FAIL $name: exit $code, want $want"
		ok=0
	fi
	if ! cmp -s "$tmp/stdout" "$dir/stdout"; then
		echo "FAIL $name: stdout differs:"
		diff -u "$dir/stdout" "$tmp/stdout" | head -40
		ok=0
	fi
	if [ -f "$dir/stderr" ] && ! cmp -s "$tmp/stderr" "$dir/stderr"; then
		echo "FAIL $name: stderr differs:"
		diff -u "$dir/stderr" "$tmp/stderr" | head -20
		ok=0
	fi
	if [ $ok = 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done
echo "golden: $pass passed, $fail failed"
[ $fail = 0 ]
