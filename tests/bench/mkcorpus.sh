#!/bin/sh
# Builds the benchmark corpus: the manifests of ../shared/corpus replicated until they hold at
# least MIN_DOCS documents, each replica's objects renamed so no two replicas define the same object.
#
# usage: tests/bench/mkcorpus.sh SRC OUT [MIN_DOCS]
#
# OUT/once/<path>   the documents whose name cannot change, once: CustomResourceDefinitions
#                   (<plural>.<group>) and APIServices (<version>.<group>)
# OUT/rNN/<path>    every other document; in r01 and up, a document's own metadata.name (the
#                   child of a top-level `metadata:`) and that of each item of a List gain "-rNN"
# OUT.env           replicas, files, documents and bytes of both mixes, as shell assignments
# OUT.full          the files of the "full" mix (once/ and every replica), one a line
# OUT.manifests     the files of the "manifests" mix (every replica, so no CRD and no large
#                   document), one a line
#
# A document is a `---`-separated part of a file that holds something besides blank lines,
# comments and directives. Files keep their corpus-relative paths, so kustomizations still
# resolve inside a replica.
# JSON files go through the same line-based splitter, which finds no `metadata:` line to rename
# in them, so their replicas keep the names of the original (the corpus has no JSON file today).
set -eu

if [ $# -lt 2 ]; then
	echo "usage: $0 SRC OUT [MIN_DOCS]" >&2
	exit 2
fi
src=$1
out=$2
min_docs=${3:-10000}
export LC_ALL=C

# xargs splits on blanks and reads quotes: escape every non-alphanumeric character of a path list.
esc() { sed 's/[^[:alnum:]]/\\&/g'; }

rm -rf "$out" "$out.tmp" "$out.env" "$out.full" "$out.manifests"
mkdir -p "$out.tmp"
tmp=$(cd "$out.tmp" && pwd)	# absolute: the passes below run inside src

(cd "$src" && find . -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) \
	! -path '*/.*' | sed 's|^\./||' | sort) >"$tmp/files"

# The document splitter, shared by both passes. mode=count prints one line per file:
# "path once_docs other_docs"; mode=write writes the replicas under out.
# shellcheck disable=SC2016 # an awk program
awk_prog='
function flush_file(   r, suffix) {
	if (nl == 0 && path == "")
		return
	end_segment()
	if (mode == "count") {
		print path, nonce + 0, nother + 0
	} else {
		if (nonce > 0)
			write_part(out "/once/" path, 1, "")
		if (nother > 0)
			for (r = 0; r < replicas; r++) {
				suffix = r ? sprintf("-r%02d", r) : ""
				write_part(out "/" sprintf("r%02d", r) "/" path, 0, suffix)
			}
	}
	nl = 0; nseg = 0; nonce = 0; nother = 0
	split("", seg); split("", rename)
}

# The lines of the once/ part (want_once) or of the replicated part, renamed with suffix.
function write_part(dst, want_once, suffix,   i) {
	for (i = 1; i <= nl; i++) {
		if ((segonce[seg[i]] ? 1 : 0) != want_once)
			continue
		if (suffix != "" && (i in rename))
			print with_suffix(line[i], suffix) > dst
		else
			print line[i] > dst
	}
	close(dst)
}

# A segment ends: decide whether it is a document, whether it goes to once/, and which lines
# hold the names of its objects.
function end_segment(   i, s, t, kind, content) {
	if (seg_start == 0)
		return
	kind = ""; content = 0
	for (i = seg_start; i <= nl; i++) {
		t = line[i]
		if (blank(t))
			continue
		content = 1
		if (t ~ /^kind:/) {
			kind = t
			sub(/^kind:[ \t]*["\047]?/, "", kind)
			sub(/["\047]?[ \t]*(#.*)?$/, "", kind)
		}
	}
	s = ++nseg
	# A part that is only comments goes with the part before it.
	if (content)
		segonce[s] = kind == "CustomResourceDefinition" || kind == "APIService"
	else
		segonce[s] = nseg > 1 ? segonce[s - 1] : 0
	for (i = seg_start; i <= nl; i++)
		seg[i] = s
	if (content && segonce[s])
		nonce++
	else if (content)
		nother++
	if (content && !segonce[s])
		mark_names(seg_start, nl, kind ~ /List$/)
	seg_start = 0
}

function blank(t) {
	return t ~ /^[ \t]*(#.*)?$/ || t ~ /^%/ || t ~ /^(---|\.\.\.)[ \t]*(#.*)?$/
}

function is_meta(t) {
	return t ~ /^metadata:[ \t]*(#.*)?$/
}

# Marks the name of the document and, in a List, of each item: the child of the object
# `metadata:` key at the column of the first child. Keys of the document sit at column 0, those of
# a List item at the column after its "- ".
function mark_names(from, to, list,   i, t, ind, objcol, dashcol, initems, inmeta, childind,
		    named_doc, named_item) {
	objcol = 0; dashcol = -1; initems = 0; inmeta = 0; childind = -1
	named_doc = 0; named_item = 0
	for (i = from; i <= to; i++) {
		t = line[i]
		if (blank(t))
			continue
		match(t, /^ */)
		ind = RLENGTH
		if (ind == 0 && t !~ /^-/) {
			objcol = 0; dashcol = -1; childind = -1
			inmeta = is_meta(t)
			initems = list && t ~ /^items:[ \t]*(#.*)?$/
		} else if (initems && (dashcol < 0 || ind == dashcol) && t ~ /^ *- /) {
			dashcol = ind; objcol = ind + 2; childind = -1; named_item = 0
			inmeta = is_meta(substr(t, objcol + 1))
		} else if (objcol > 0 && ind == objcol) {
			inmeta = is_meta(substr(t, objcol + 1)); childind = -1
		} else if (inmeta && ind > objcol) {
			if (childind < 0)
				childind = ind
			if (ind != childind || t !~ /^ *name:/ || (objcol ? named_item : named_doc))
				continue
			rename[i] = 1
			if (objcol)
				named_item = 1
			else
				named_doc = 1
		}
	}
}

# "  name: foo  # c" -> "  name: foo-r01  # c"; quoted values keep their quotes. Values that
# are not plain strings (empty, block scalars, anchors, aliases, flow) are left alone.
function with_suffix(t, suffix,   head, v, q, p, cmt) {
	match(t, /^ *name:[ \t]*/)
	head = substr(t, 1, RLENGTH)
	v = substr(t, RLENGTH + 1)
	q = substr(v, 1, 1)
	if (q == "\"" || q == "\047") {
		for (p = length(v); p > 1 && substr(v, p, 1) != q; p--)
			;
		if (p <= 1)
			return t
		return head substr(v, 1, p - 1) suffix substr(v, p)
	}
	if (v == "" || v ~ /^[|>&*{\[!%@#]/)
		return t
	cmt = ""
	if (match(v, /[ \t]+#/)) {
		cmt = substr(v, RSTART)
		v = substr(v, 1, RSTART - 1)
	}
	sub(/[ \t]+$/, "", v)
	return head v suffix cmt
}

FNR == 1 {
	flush_file()
	path = FILENAME
	sub(/^\.\//, "", path)
}
{
	sub(/\r$/, "")
	if ($0 ~ /^---([ \t]|$)/ && nl > 0)
		end_segment()
	line[++nl] = $0
	if (seg_start == 0)
		seg_start = nl
	if ($0 ~ /^\.\.\.[ \t]*$/)
		end_segment()
}
END {
	flush_file()
}
'

# Pass 1: how many documents there are, so the replica count is known before writing.
(cd "$src" && esc <"$tmp/files" | xargs awk -v mode=count "$awk_prog") >"$tmp/counts"
# shellcheck disable=SC2046 # three numbers
set -- $(awk '{ c += $2; o += $3; if ($3 > 0) f++ } END { print c + 0, o + 0, f + 0 }' "$tmp/counts")
once_docs=$1
other_docs=$2
if [ "$other_docs" -eq 0 ]; then
	echo "mkcorpus: no documents to replicate in $src" >&2
	exit 3
fi
replicas=$(( (min_docs + other_docs - 1) / other_docs ))
[ "$replicas" -ge 1 ] || replicas=1
[ "$replicas" -le 100 ] || { echo "mkcorpus: $replicas replicas is too many" >&2; exit 2; }

# Every output folder first (mkdir -p takes them all at once).
awk -v n="$replicas" '
	{ d = $1; if (sub(/\/[^\/]*$/, "", d) == 0) d = ""
	  if ($2 > 0) print "once/" d
	  if ($3 > 0) for (r = 0; r < n; r++) printf "r%02d/%s\n", r, d }' "$tmp/counts" |
	sort -u | esc | (cd "$tmp" && xargs mkdir -p)

(cd "$src" && esc <"$tmp/files" |
	xargs awk -v mode=write -v out="$tmp" -v replicas="$replicas" "$awk_prog")

# File lists and sizes, taken from what was written.
(cd "$tmp" && find once -type f | sort) | sed "s|^|$out/|" >"$out.once"
: >"$out.manifests"
r=0
while [ "$r" -lt "$replicas" ]; do
	rr=$(printf 'r%02d' "$r")
	(cd "$tmp" && find "$rr" -type f | sort) | sed "s|^|$out/|" >>"$out.manifests"
	r=$((r + 1))
done
cat "$out.once" "$out.manifests" >"$out.full"
rm -f "$tmp/files" "$tmp/counts"
mv "$tmp" "$out"

bytes_of() { esc <"$1" | xargs cat | wc -c | tr -d ' '; }
lines_of() { wc -l <"$1" | tr -d ' '; }
man_docs=$((other_docs * replicas))
full_files=$(lines_of "$out.full")
full_docs=$((man_docs + once_docs))
full_bytes=$(bytes_of "$out.full")
manifests_files=$(lines_of "$out.manifests")
manifests_bytes=$(bytes_of "$out.manifests")
rm -f "$out.once"
cat >"$out.env" <<EOF
replicas=$replicas
once_docs=$once_docs
full_files=$full_files
full_docs=$full_docs
full_bytes=$full_bytes
manifests_files=$manifests_files
manifests_docs=$man_docs
manifests_bytes=$manifests_bytes
EOF
echo "mkcorpus: $replicas replicas of $other_docs documents, plus $once_docs kept once" \
	"(CRDs, APIServices): full $full_files files, $full_docs documents, $full_bytes bytes;" \
	"manifests $manifests_files files, $man_docs documents, $manifests_bytes bytes"
