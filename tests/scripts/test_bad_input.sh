#!/bin/sh
# Hostile input, generated at test time: each must end within seconds, in bounded memory,
# with a clear finding and the documented exit code. Memory is capped with ulimit -v except
# under sanitizers (their shadow memory needs a large address space).
. tests/scripts/lib.sh
command -v timeout >/dev/null || { echo "skip: timeout(1) is missing"; exit 0; }

# bounded CMD...: runs with a 30 s limit and, outside sanitizer builds, 1 GiB of memory.
bounded() {
	if [ -n "${SANITIZE:-}" ]; then
		run timeout 30 "$@"
	else
		run sh -c 'ulimit -v 1048576; exec timeout 30 "$@"' bounded "$@"
	fi
	if [ "$CODE" = 124 ]; then bad "timed out: $*"; fi
}

d="$TMP/in"
mkdir -p "$d"
cd "$d" || exit 1

# Nesting 100,000 deep, as YAML flow, YAML block and JSON.
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "["; for (i = 0; i < 100000; i++) printf "]"; print "" }' > deep-flow.yaml
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "- "; print "x" }' > deep-block.yaml
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "{\"a\":"; printf "1"; for (i = 0; i < 100000; i++) printf "}"; print "" }' > deep.json
for f in deep-flow.yaml deep-block.yaml deep.json; do
	bounded "$KVET" check "$f" -s "$MINI"
	expect_code 1 "nesting 100000 deep: $f"
	expect_out "[limit/depth]" "depth finding: $f"
done

# The deepest nesting the configuration allows, validated against a recursive schema: the
# validator recurses along the data, and must have the stack for it.
cat > recursive.json <<'JSON'
{"swagger": "2.0", "definitions": {"io.example.v1.Node": {"type": "object",
  "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"},
    "metadata": {"type": "object"}, "child": {"$ref": "#/definitions/io.example.v1.Node"},
    "leaf": {"type": "integer"}},
  "x-kubernetes-group-version-kind": [{"group": "example.io", "version": "v1", "kind": "Node"}]}}}
JSON
awk 'BEGIN { printf "{\"apiVersion\": \"example.io/v1\", \"kind\": \"Node\", \"metadata\": {\"name\": \"n\"}, ";
	for (i = 0; i < 997; i++) printf "\"child\": {"; printf "\"leaf\": \"x\""; for (i = 0; i < 997; i++) printf "}"; print "}" }' > nested.json
printf 'limits:\n  depth: 1000\n' > deep.kvet.yaml
bounded "$KVET" check nested.json -s recursive.json -c deep.kvet.yaml
expect_code 1 "nesting at the configured maximum"
expect_out "nested.json:1:" "the deepest value is found"
expect_out "[schema/type]" "and validated"
printf 'limits:\n  depth: 1001\n' > deeper.kvet.yaml
bounded "$KVET" check nested.json -s recursive.json -c deeper.kvet.yaml
expect_code 2 "a depth past the maximum is refused"
expect_out "limits.depth can be at most 1000" "depth maximum message"

# Billion laughs: ten levels of ten aliases each.
{
	echo "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"
	i=1
	while [ $i -lt 10 ]; do
		p=$((i - 1))
		echo "a$i: &a$i [*a$p, *a$p, *a$p, *a$p, *a$p, *a$p, *a$p, *a$p, *a$p, *a$p]"
		i=$((i + 1))
	done
} > laughs.yaml
bounded "$KVET" check laughs.yaml -s "$MINI"
expect_code 1 "billion laughs"
expect_out "laughs.yaml:5:45:" "the alias budget runs out at a4"
expect_out "[limit/aliases]" "alias finding"

# Merge-key fan-out: every map merges a big anchored map.
{
	printf 'base: &b {'
	i=0
	while [ $i -lt 2000 ]; do printf 'k%d: v, ' $i; i=$((i + 1)); done
	echo 'last: v}'
	i=0
	while [ $i -lt 200 ]; do echo "m$i: {<<: *b}"; i=$((i + 1)); done
} > merges.yaml
bounded "$KVET" check merges.yaml -s "$MINI"
expect_code 1 "merge fan-out"
expect_out "[limit/aliases]" "merge expansion is charged"

# Many anchors and many aliases, and a large map merged into a larger one: hashed lookups keep
# both linear (each took minutes when anchors and merged keys were searched one by one).
awk 'BEGIN { print "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: anchors}\nl:";
	for (i = 0; i < 30000; i++) printf "- &a%d x\n", i; print "r:"; for (i = 0; i < 90000; i++) print "- *a0" }' > anchors.yaml
bounded "$KVET" check anchors.yaml -s "$MINI"
expect_code 1 "30000 anchors, 90000 aliases"
expect_out "unknown field \"l\"" "the anchors file is loaded and validated"
awk 'BEGIN { print "a: &a"; for (i = 0; i < 20000; i++) printf "  s%d: 1\n", i;
	print "m:\n  <<: *a"; for (i = 0; i < 200000; i++) printf "  k%d: 1\n", i }' > merge.yaml
bounded "$KVET" check merge.yaml -s "$MINI"
expect_code 0 "a 20000-key map merged into a 200000-key map"

# A 100 MB file: refused by size before it is read.
head -c 104857600 /dev/zero | tr '\0' 'a' > huge.yaml
bounded "$KVET" check huge.yaml -s "$MINI"
expect_code 1 "100 MB file"
expect_out "huge.yaml: error: the file is 104857600 bytes, more than limits.fileSize (16777216) [limit/file-size]" "size finding"
rm -f huge.yaml

# A 100 MB scalar inside the limit when the limit is raised: parsed, bounded in time.
{ printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  blob: '; head -c 12000000 /dev/zero | tr '\0' 'b'; echo; } > big-scalar.yaml
printf 'limits:\n  fileSize: 64MiB\n' > big.kvet.yaml
bounded "$KVET" check big-scalar.yaml -s "$MINI" -c big.kvet.yaml
expect_code 0 "a 12 MB scalar under a raised limit"
rm -f big-scalar.yaml

# 20,000 documents: the documents limit (10,000) stops it with a finding.
awk 'BEGIN { for (i = 0; i < 20000; i++) printf "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c%d\n", i }' > many.yaml
bounded "$KVET" check many.yaml -s "$MINI" -q
expect_code 1 "too many documents"
expect_out "[limit/documents]" "documents finding"

# One map with 200,000 keys and a duplicate at the end: duplicate detection stays n log n.
{ echo "apiVersion: v1"; echo "kind: ConfigMap"; echo "metadata: {name: wide}"; echo "data:";
  awk 'BEGIN { for (i = 0; i < 200000; i++) printf "  k%d: v\n", i; print "  k7: again" }'; } > wide.yaml
bounded "$KVET" check wide.yaml -s "$MINI"
expect_code 1 "a map of 200000 keys"
expect_out "wide.yaml:200005:3: error: duplicate key \"k7\" (first defined at line 12) [yaml/duplicate-key]" "wide duplicate"

# Invalid UTF-8, a binary file, UTF-16, empty and comment-only files, a megabyte-long line.
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \303\050x\n' > latin.yaml
head -c 4096 /dev/urandom > random.yaml
printf '\376\377\000a' > utf16.yaml
: > empty.yaml
printf '# nothing\n# here\n' > comments.yaml
awk 'BEGIN { printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: long}\ndata: {a: \""; for (i = 0; i < 1000000; i++) printf "x"; print "\"}" }' > long-line.yaml
mkdir text && mv latin.yaml random.yaml utf16.yaml empty.yaml comments.yaml long-line.yaml text/
bounded "$KVET" check text -s "$MINI"
expect_code 1 "text problems"
expect_out "text/latin.yaml:4:9: error: invalid UTF-8: byte 0xc3 [yaml/encoding]" "invalid UTF-8 position"
expect_out "text/utf16.yaml: error: the file is UTF-16; kvet reads UTF-8 [yaml/encoding]" "UTF-16"
expect_out "text/random.yaml: error:" "random bytes"
expect_out "kvet: 6 files, 1 document: 1 object (1 valid, 0 invalid)" "empty and comment-only files count, not fail"

# A file that cannot be read: an I/O error, exit 3, and the rest is still checked.
mkdir io && printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fine\n' > io/fine.yaml
if [ "$(id -u)" = 0 ]; then
	bounded "$KVET" check io /proc/self/mem -s "$MINI"
else
	printf 'a: 1\n' > io/locked.yaml && chmod 000 io/locked.yaml
	bounded "$KVET" check io -s "$MINI"
fi
expect_code 3 "an unreadable file"
expect_out "error: cannot read:" "unreadable message"
expect_out "[source/unreadable]" "unreadable rule"
expect_out "some files could not be read: the check is incomplete" "incomplete run"

# A directory named like a manifest is walked, not read; a FIFO is noted, never opened.
mkdir -p special/dir.yaml && printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: inside\n' > special/dir.yaml/cm.yaml
mkfifo special/pipe.yaml
bounded "$KVET" check special -s "$MINI"
expect_code 0 "a FIFO named .yaml"
expect_out "special/pipe.yaml: info: not a regular file; not read [source/skipped]" "fifo note"

cd "$ROOT" || exit 1
finish
