#!/bin/sh
# The CEL conformance suites of @bufbuild/cel-spec (the cel-spec project's test data), run
# through kvet's evaluator: prints passed/total per suite and fails below 95% of the tests
# that need no protobuf message types. Installs the npm package into build/npm on first use
# (CEL_SPEC_DIR overrides); skips with a message without node, npm or the network.
. tests/scripts/lib.sh
: "${CEL_CONFORMANCE:?set CEL_CONFORMANCE to the cel_conformance driver}"
case "$CEL_CONFORMANCE" in /*) ;; *) CEL_CONFORMANCE="$ROOT/$CEL_CONFORMANCE" ;; esac
version=0.6.1
dir=${CEL_SPEC_DIR:-$ROOT/build/npm}
pkg="$dir/node_modules/@bufbuild/cel-spec/package.json"
if ! command -v node > /dev/null 2>&1; then
	echo "skip: node is not installed (apt-get install nodejs npm), so the conformance suites cannot be read"
	exit 0
fi
if [ ! -f "$pkg" ] || ! grep -q "\"version\": \"$version\"" "$pkg"; then
	if ! command -v npm > /dev/null 2>&1; then
		echo "skip: npm is not installed (apt-get install npm), so @bufbuild/cel-spec cannot be installed"
		exit 0
	fi
	mkdir -p "$dir"
	if ! npm install --prefix "$dir" --no-audit --no-fund --silent "@bufbuild/cel-spec@$version" > "$TMP/npm.log" 2>&1; then
		echo "skip: npm could not install @bufbuild/cel-spec@$version (offline?):"
		tail -5 "$TMP/npm.log"
		exit 0
	fi
fi
if ! node "$ROOT/tests/cel/export.mjs" "$dir" > "$TMP/conformance.jsonl"; then
	bad "export.mjs could not read the conformance suites"
	finish
	exit 1
fi
run "$CEL_CONFORMANCE" "$TMP/conformance.jsonl"
printf '%s\n' "$OUT"
expect_code 0 "the conformance pass rate reaches the target"
expect_out "conformance: " "the summary line is printed"
finish
