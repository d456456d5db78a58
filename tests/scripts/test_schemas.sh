#!/bin/sh
# Schema locations and the schema cache: each kind of location, kvet schemas pull/import/list
# through file:// URLs, the compiled cache (reuse, invalidation, corruption), and --offline.
. tests/scripts/lib.sh
S="$ROOT/fixtures/schemas"
cd "$TMP" || exit 1
mkdir work && cd work || exit 1
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  count: 3\n' > cm.yaml
cat > deploy.yaml <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: two
  selector: {matchLabels: {app: web}}
  template: {metadata: {labels: {app: web}}}
  strategy: {type: Rolling}
EOF

# kubeconform layout: a folder, read on demand by kind.
run "$KVET" check cm.yaml -s "$S/kubeconform"
expect_code 1 "kubeconform folder"
expect_out "cm.yaml:6:10: error: expected string or null, got integer [schema/type]" "kubeconform ConfigMap"

# The same through templates, in kvet's and in kubeconform's placeholder forms.
run "$KVET" check cm.yaml -s "$S/kubeconform/{kind}{kindSuffix}.json"
expect_code 1 "kvet template"
expect_out "[schema/type]" "kvet template finding"
run "$KVET" check cm.yaml -s "$S/kubeconform/{{ .ResourceKind }}{{ .KindSuffix }}.json"
expect_code 1 "kubeconform template"
expect_out "[schema/type]" "kubeconform template finding"

# A kubeconform schema with $refs into _definitions.json next to it.
run "$KVET" check deploy.yaml -s "$S/kubeconform"
expect_code 1 "external \$ref"
expect_out "deploy.yaml:6:13: error: expected integer, got string [schema/type]" "Deployment via _definitions.json"
expect_out "deploy.yaml:9:3: error: unknown field \"strategy\"" "closed definition from the other file"

# An OpenAPI v3 group document: allOf-wrapped references and enums.
run "$KVET" check deploy.yaml -s "$S/openapi-v3-apps-v1.json"
expect_code 1 "OpenAPI v3 document"
expect_out "deploy.yaml:9:20: error: \"Rolling\" is not one of: Recreate, RollingUpdate [schema/enum]" "v3 enum"
expect_out "hint: did you mean RollingUpdate?" "v3 enum hint"

# A file:// URL is one document.
run "$KVET" check cm.yaml -s "file://$MINI"
expect_code 1 "file URL location"
expect_out "cm.yaml:6:10: error: expected string, got integer" "file URL finding"

# An https URL that is not cached, offline: refused, exit 2.
run "$KVET" check cm.yaml --offline -s "https://schemas.invalid/k8s.json"
expect_code 2 "offline URL"
expect_out "not in the cache, and --offline forbids downloading it" "offline message"

# Compiled forms of location files are cached and reused; a changed file is recompiled.
cp "$MINI" mini.json
run "$KVET" check cm.yaml -s mini.json
expect_code 1 "first run compiles"
compiled=$(ls -t "$XDG_CACHE_HOME/kvet/compiled/"*.kvs 2>/dev/null | head -1)
[ -n "$compiled" ] && ok || bad "no compiled schema was cached"
before=$(cksum < "$compiled")
run "$KVET" check cm.yaml -s mini.json
expect_code 1 "second run maps the compiled form"
[ "$(cksum < "$compiled")" = "$before" ] && ok || bad "the compiled schema was rewritten though unchanged"
sed 's/"immutable": {"type": "boolean"}/"immutable": {"type": "boolean"}, "count": {"type": "integer"}/' "$MINI" > mini.json
# ConfigMap data values are strings still; the changed document must be recompiled.
touch -d '2001-01-01' mini.json
run "$KVET" check cm.yaml -s mini.json
expect_code 1 "changed document"
[ "$(cksum < "$compiled")" != "$before" ] && ok || bad "a changed document was not recompiled"
# A corrupt compiled form is rejected and replaced, never trusted.
printf 'KVSCHEMA garbage' > "$compiled"
run "$KVET" check cm.yaml -s mini.json
expect_code 1 "corrupt compiled cache"
expect_out "cm.yaml:6:10: error: expected string, got integer" "still validates after corruption"

# kvet schemas pull, through a file:// URL template; the spec must say it is Kubernetes.
mkdir -p "$TMP/release/v1.31.0"
sed 's/"title": "kvet demo: a small slice of the Kubernetes API"/"title": "Kubernetes"/' "$MINI" > "$TMP/release/v1.31.0/swagger.json"
run "$KVET" schemas pull --kubernetes-version 1.31.0 --url-template "file://$TMP/release/{version}/swagger.json"
expect_code 0 "pull"
expect_out "Kubernetes v1.31.0: 8 kinds" "pull stored the release"
run "$KVET" schemas pull --kubernetes-version 1.32.0 --url-template "file://$TMP/release/{version}/swagger.json"
expect_code 3 "pull of a release that is not there"
expect_out "not found (is v1.32.0 a Kubernetes release?)" "pull 404 message"
run "$KVET" schemas pull --offline
expect_code 2 "pull --offline"

# With a cached spec, check needs no location at all.
run "$KVET" check cm.yaml
expect_code 1 "check with the cached spec"
expect_out "cm.yaml:6:10: error: expected string, got integer" "cached spec finding"
run "$KVET" check cm.yaml --kubernetes-version 1.30
expect_code 2 "a version that is not cached"
expect_out "Kubernetes v1.30.0 is not in the cache" "uncached version message"

# import: a Kubernetes spec needs a version; CRDs join every check.
run "$KVET" schemas import "$MINI"
expect_code 0 "import a non-Kubernetes document"
expect_out "kubernetes-mini: 8 kinds" "imported document"
cp "$TMP/release/v1.31.0/swagger.json" spec.json
run "$KVET" schemas import spec.json
expect_code 3 "import a spec without a version"
expect_out "pass --kubernetes-version" "import version message"
run "$KVET" schemas import --kubernetes-version v1.33.1 spec.json
expect_code 0 "import a spec with a version"
run "$KVET" schemas import "$ROOT/fixtures/cases/crds/gadgets.yaml"
expect_code 0 "import CRDs"
printf 'apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: g\nspec:\n  model: omega\n' > gadget.yaml
run "$KVET" check gadget.yaml
expect_code 1 "an imported CRD validates custom resources"
expect_out "gadget.yaml:6:10: error: \"omega\" is not one of: alpha, beta, gamma [schema/enum]" "imported CRD finding"

run "$KVET" schemas list
expect_code 0 "list"
expect_out "v1.33.1" "list shows the imported release"
expect_out "(default: the newest)" "list marks the default"
expect_out "v1.31.0" "list shows the pulled release"
expect_out "gadgets" "list shows imported documents"

# A damaged compiled spec is rebuilt from the raw document kept beside it.
printf 'broken' > "$XDG_CACHE_HOME/kvet/kubernetes/v1.33.1/schema.kvs"
run "$KVET" check cm.yaml
expect_code 1 "recovered from a damaged compiled spec"
expect_out "[schema/type]" "recovered spec still validates"

# Every cache write was atomic: no temporary files are left behind.
left=$(find "$XDG_CACHE_HOME" -name '*.tmp.*' | wc -l)
[ "$left" = 0 ] && ok || bad "temporary files left in the cache: $left"

cd "$ROOT" || exit 1
finish
