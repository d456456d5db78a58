#!/bin/sh
# kvet check --rev: a repository with history is built from fixtures/repos/history; each
# revision must be checked with its own content (files, .kvet.yaml, schema document), by sha,
# tag, branch and HEAD~N, in a bare clone too, and without touching index or work tree.
. tests/scripts/lib.sh
command -v git >/dev/null || { echo "skip: git is not installed"; exit 0; }

repo="$TMP/repo"
mkdir -p "$repo"
git -C "$repo" init -q -b main
git -C "$repo" config user.email test@example.com
git -C "$repo" config user.name test
n=0
for step in "$ROOT"/fixtures/repos/history/*/; do
	n=$((n + 1))
	find "$repo" -mindepth 1 -maxdepth 1 ! -name .git -exec rm -rf {} +
	cp -R "$step". "$repo/"
	mkdir -p "$repo/schemas"
	cp "$MINI" "$repo/schemas/kubernetes-mini.json"
	git -C "$repo" add -A
	GIT_AUTHOR_DATE="2024-01-0${n}T00:00:00Z" GIT_COMMITTER_DATE="2024-01-0${n}T00:00:00Z" \
		git -C "$repo" commit -q -m "step $n"
done
git -C "$repo" tag v1 HEAD~2
git -C "$repo" branch broken HEAD~1
broken_sha=$(git -C "$repo" rev-parse HEAD~1)

cd "$repo" || exit 1
# The index's exact modification time and content: kvet must leave both alone.
index_state() { echo "$(stat -c %y .git/index) $(cksum < .git/index)"; }
index_before=$(index_state)
head_before=$(git rev-parse HEAD)

run "$KVET" check --rev HEAD~2
expect_code 0 "HEAD~2 is the clean first commit"
expect_out "kvet: 2 files, 2 documents: 1 object (1 valid, 0 invalid)" "HEAD~2 summary"

run "$KVET" check --rev v1
expect_code 0 "tag v1 names the first commit"

run "$KVET" check --rev HEAD~1
expect_code 1 "HEAD~1 has the broken files"
expect_out "apps/web.yaml:7:12: error: expected string, got integer [schema/type]" "HEAD~1 finding location"
expect_out "apps/extra.yaml:8:17: error: \"tcp\" is not one of: TCP, UDP, SCTP [k8s/enum]" "HEAD~1 second file"

run "$KVET" check --rev broken -q
expect_code 1 "branch name"
run "$KVET" check --rev "$broken_sha" -q -f json
expect_code 1 "full sha"
expect_out "\"source\": \"revision $(echo "$broken_sha" | cut -c1-12) (" "json source names the revision"

run "$KVET" check --rev HEAD
expect_code 0 "HEAD is fixed"
expect_no_out "extra.yaml" "HEAD no longer has extra.yaml"

[ "$(index_state)" = "$index_before" ] && ok || bad "the index was touched by --rev checks"

# The work tree does not matter with --rev: break it, and delete the schema folder.
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  A: 1\n' > apps/web.yaml
rm -rf schemas
run "$KVET" check --rev HEAD
expect_code 0 "uncommitted changes do not leak into --rev (schemas read from the revision)"
run "$KVET" check .
expect_code 2 "the work tree itself now lacks its schema file"
expect_out "schemas/kubernetes-mini.json does not exist" "work tree schema missing message"
git checkout -q -- .
index_before=$(index_state) # git checkout rewrote it; kvet must not from here on

# Paths restrict the revision's tree.
run "$KVET" check --rev HEAD~1 apps/extra.yaml -q
expect_code 1 "a file path inside the revision"
expect_no_out "web.yaml" "only the named file"
run "$KVET" check --rev HEAD~1 nowhere
expect_code 2 "a path the revision lacks"
expect_out "nowhere: no such path in the revision" "missing path message"

# kvet never writes: index, HEAD and work tree are as they were.
[ "$(index_state)" = "$index_before" ] && ok || bad "the index was touched"
[ "$(git rev-parse HEAD)" = "$head_before" ] && ok || bad "HEAD moved"
[ -z "$(git status --porcelain)" ] && ok || bad "the work tree changed: $(git status --porcelain)"

# A revision that does not exist.
run "$KVET" check --rev no-such-branch
expect_code 2 "unknown revision"
expect_out "revision \"no-such-branch\" not found" "unknown revision message"

# A bare clone has no work tree at all.
git clone -q --bare "$repo" "$TMP/bare.git"
cd "$TMP/bare.git" || exit 1
run "$KVET" check --rev HEAD~1 -q
expect_code 1 "bare clone"
expect_out "apps/web.yaml:7:12: error" "bare clone finding"

# Symbolic links in a revision are not read as manifests.
cd "$repo" || exit 1
ln -s apps/web.yaml link.yaml
git add link.yaml
git commit -q -m link
run "$KVET" check --rev HEAD
expect_code 0 "a symlink blob is a note, not a manifest"
expect_out "link.yaml: warning: a symbolic link in the revision; not read [source/symlink]" "symlink note"

# The revision's configuration names a policy folder: it is read from the revision too, so a
# policy changed in the work tree does not count until committed.
mkdir -p team
cat > team/owner.yaml <<'EOF2'
apiVersion: kvet.dev/v1alpha1
kind: Policy
metadata:
  name: team/owner
spec:
  match: {kinds: [{apiGroups: [apps], kinds: [Deployment]}]}
  validations:
    - expression: "has(object.metadata.labels) && 'owner' in object.metadata.labels"
      message: the Deployment names no owner
EOF2
printf 'policies: [team/]\nschemas: [schemas/kubernetes-mini.json]\nbuiltinPolicies: false\n' > .kvet.yaml
printf 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec: {selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {containers: [{name: a, image: "a:1"}]}}}\n' > apps/api.yaml
git add -A
git commit -q -m "team policy"
rm -rf team
run "$KVET" check --rev HEAD
expect_out "apps/api.yaml:3:1: error: the Deployment names no owner [team/owner]" "the revision's own policy runs"
expect_out "1 kvet policy" "a policy file in the repository is classified, not checked as an object"
expect_no_out "no such policy file" "it is read from the revision, not the work tree"
git checkout -q HEAD -- team

# A damaged object database is an I/O error (exit 3), not a crash.
blob=$(git rev-parse HEAD:apps/web.yaml)
obj=".git/objects/$(echo "$blob" | cut -c1-2)/$(echo "$blob" | cut -c3-)"
chmod u+w "$obj"
printf 'garbage' > "$obj"
run "$KVET" check --rev HEAD
expect_code 3 "a corrupt blob"
expect_out "apps/web.yaml: error: cannot read" "corrupt blob message"

cd "$ROOT" || exit 1
finish
