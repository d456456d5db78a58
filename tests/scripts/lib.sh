# lib.sh: helpers the script tests share. Each test sources it, calls check/expect, and ends
# with `finish`, which prints "N passed, N failed" and sets the exit status.
set -u
: "${KVET:?set KVET to the kvet binary}"
case "$KVET" in /*) ;; *) KVET="$PWD/$KVET" ;; esac
ROOT=$PWD
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM
export XDG_CACHE_HOME="$TMP/cache" NO_COLOR=1 LC_ALL=C
MINI="$ROOT/fixtures/demo/schemas/kubernetes-mini.json"
passed=0
failed=0

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

# run CMD...: runs kvet-using commands, capturing OUT (stdout+stderr) and CODE.
run() {
	OUT=$("$@" 2>&1)
	CODE=$?
}

# expect_code N description
expect_code() {
	if [ "$CODE" = "$1" ]; then ok; else bad "$2: exit $CODE, want $1"; printf '%s\n' "$OUT" | head -20; fi
}

# expect_out TEXT description: OUT contains TEXT (a fixed string)
expect_out() {
	if printf '%s\n' "$OUT" | grep -qF -- "$1"; then ok; else bad "$2: output lacks: $1"; printf '%s\n' "$OUT" | head -20; fi
}

# expect_no_out TEXT description
expect_no_out() {
	if printf '%s\n' "$OUT" | grep -qF -- "$1"; then bad "$2: output has: $1"; else ok; fi
}

finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
}
