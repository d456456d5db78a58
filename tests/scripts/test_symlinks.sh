#!/bin/sh
# Symbolic links in a work tree: followed inside the repository, never out of it, and every
# link not followed is reported.
. tests/scripts/lib.sh
repo="$TMP/repo"
mkdir -p "$repo/.git" "$repo/real" "$TMP/outside"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: real\ndata:\n  n: 1\n' > "$repo/real/cm.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: secret\n' > "$TMP/outside/secret.yaml"
ln -s real/cm.yaml "$repo/inside.yaml"
ln -s "$TMP/outside/secret.yaml" "$repo/outside.yaml"
ln -s missing.yaml "$repo/dangling.yaml"
ln -s real "$repo/linked-folder"
ln -s /etc "$repo/etc-link"
cd "$repo" || exit 1

run "$KVET" check . -s "$MINI"
expect_code 1 "symlinks"
expect_out "inside.yaml:6:6: error: expected string, got integer [schema/type]" "a link inside is followed and shown by its own path"
expect_out "real/cm.yaml:6:6: error" "the target itself is checked too"
expect_out "outside.yaml: warning: a symbolic link to $TMP/outside/secret.yaml, outside the repository; not read [source/symlink]" "outside link"
expect_out "dangling.yaml: warning: a symbolic link to nothing (dangling); not read [source/symlink]" "dangling link"
expect_out "linked-folder: info: a symbolic link to a folder; not followed [source/skipped]" "folder link"
expect_out "etc-link: warning: a symbolic link to /etc, outside the repository; not read [source/symlink]" "folder link outside"
expect_out "(4 not read)" "links not followed are counted"

# Named on the command line, an outside link is still not read.
run "$KVET" check outside.yaml -s "$MINI"
expect_code 0 "explicit outside link"
expect_out "outside.yaml: warning: a symbolic link to" "explicit outside link note"

# A kustomization never reads through a link that leads out of the repository, and says so.
mkdir -p app
ln -s ../real/cm.yaml app/inside.yaml
printf 'resources:\n- ../outside.yaml\n- ../etc-link/hostname\n- inside.yaml\n' > app/kustomization.yaml
run "$KVET" render --kustomize app
expect_code 1 "render through outside links"
expect_out "app/kustomization.yaml:2:3: error: ../outside.yaml leads out of the repository through a symbolic link [render/path]" "render: outside file link"
expect_out "app/kustomization.yaml:3:3: error: ../etc-link/hostname leads out of the repository through a symbolic link [render/path]" "render: outside folder link"
expect_out "name: real" "render: a link inside is read"
expect_no_out "name: secret" "render: nothing outside is read"

cd "$ROOT" || exit 1
finish
