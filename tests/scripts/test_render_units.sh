#!/bin/sh
# kvet render [PATH]: the reconciler units of the fixture repositories under fixtures/units
# (always), and of the Flux and Argo CD example repositories of the shared corpus (when
# $ROOT/../shared is there).
. tests/scripts/lib.sh
U="$ROOT/fixtures/units"

# With no reconciler objects: kustomization roots, then the plain files.
run "$KVET" render "$U/plain"
expect_code 0 "plain fixture"
expect_out "# unit overlay (kustomize, path overlay): 2 objects" "plain: the kustomization root"
expect_out "# unit plain (plain, path .): 2 objects" "plain: the loose files"
expect_out "chart/Chart.yaml: warning: chart is a Helm chart: not rendered [render/unsupported]" "plain: a chart is said"
expect_no_out "# unit base " "plain: an included folder is no unit"

# Flux: units as a tree, the overlay fields, substitution, commonMetadata, an external source.
run "$KVET" render "$U/flux"
expect_code 0 "flux fixture"
expect_out "# unit flux-system/flux-system (flux, path clusters/prod, defined at clusters/prod/flux-system/gotk-sync.yaml:10): 7 objects" "flux: the root"
expect_out "# unit flux-system/apps (flux, path apps, defined at clusters/prod/apps.yaml:1): 2 objects" "flux: apps"
expect_out "# unit flux-system/infra (flux, path infra, defined at clusters/prod/infra.yaml:1): 3 objects" "flux: generated kustomization"
expect_out "# unit flux-system/shared (flux, path ./deploy, defined at clusters/prod/infra.yaml:26): not rendered" "flux: external"
expect_out "clusters/prod/infra.yaml:36:5: info: the source GitRepository flux-system/shared is another repository" "flux: external said"
expect_out "  replicas: 3" "flux: substitution read as YAML"
expect_out "value: web.example.com" "flux: substituteFrom"
expect_out 'value: ${NOT_A_VAR}' "flux: \$\$ escape"
expect_out 'run.sh: echo ${HOME}' "flux: substitute disabled"
expect_out "    team: web" "flux: commonMetadata"
expect_out "    cluster: prod" "flux: a parent's substitution reaches the Kustomizations it applies"
expect_no_out "name: unlisted" "flux: a folder with a kustomization is taken whole"
expect_no_out "name: not-applied" "flux: .github is ignored"

run "$KVET" render "$U/flux" --unit flux-system/infra --format json
expect_code 0 "flux --unit --format json"
expect_out '{"unit": "flux-system/infra", "kind": "flux", "path": "infra", "rendered": true, "objects": [' "json unit"
expect_no_out '"unit": "flux-system/apps"' "--unit selects"

run "$KVET" render "$U/flux" --unit nope
expect_code 2 "unknown unit"
expect_out "no unit is named nope" "unknown unit said"

run "$KVET" render "$U/flux-errors"
expect_code 1 "flux errors"
expect_out "clusters/ks.yaml:15:7: error: 'bad-name' var name is invalid" "bad variable name"
expect_out "app2/configmap.yaml:7:13: error: variable substitution failed: missing closing brace [render/substitute]" "bad substitution"
expect_out "app2/configmap.yaml:8:10: error: after substitution this value reads \"a: b\"" "invalid YAML after substitution"
expect_out "clusters/ks.yaml:45:9: error: substitute from 'Secret/encrypted': the Secret is SOPS-encrypted" "SOPS source"
expect_out "clusters/ks.yaml:47:9: error: substitute from 'ConfigMap/absent'" "absent source"
expect_out "clusters/ks.yaml:57:9: error: does-not-exist is not a folder of the repository" "missing path"

# Argo CD: directory, kustomize, Helm, another repository, ApplicationSets.
run "$KVET" render "$U/argo"
expect_code 0 "argo fixture"
expect_out "# unit guestbook (argo, path guestbook, defined at apps/guestbook.yaml:1): 2 objects" "argo: directory"
expect_out "# unit kust (argo, path kust, defined at apps/kust.yaml:1): 1 object" "argo: kustomize"
expect_out "image: registry.example.com/nginx:1.27" "argo: source.kustomize images"
expect_out "# unit chart (argo, path chart, defined at apps/helm.yaml:1): not rendered" "argo: helm"
expect_out "apps/helm.yaml:9:5: warning: chart is a Helm chart: not rendered by kvet" "argo: helm said"
expect_out "# unit remote (argo, path deploy/prod, defined at apps/helm.yaml:15): not rendered" "argo: remote"
expect_out "# unit env-prod (argo, path envs/prod, defined at apps/envs.yaml:14): 1 object" "appset: git directories"
expect_out "# unit listed-dev (argo, path envs/dev, defined at apps/envs.yaml:38): 1 object" "appset: list"
expect_out "apps/envs.yaml:36:7: warning: clusters generator needs a cluster" "appset: other generators said"
expect_out "# unit go-prod-envs (argo, path envs/prod, defined at apps/envs.yaml:65): 1 object" "appset: goTemplate"
expect_no_out "# unit go-dev-envs" "appset: an excluded directory"
expect_out "# unit picked/sources[1] (argo, path guestbook, defined at apps/picked.yaml:1): 3 objects" "argo: sources, recurse, include"

# --rev renders the committed tree, not the work tree.
if command -v git >/dev/null 2>&1; then
	cp -R "$U/flux" "$TMP/repo"
	(cd "$TMP/repo" && git init -q && git add -A && git -c user.name=t -c user.email=t@t commit -q -m fixture) >/dev/null 2>&1
	sed 's/name: apps$/name: renamed/' "$TMP/repo/clusters/prod/apps.yaml" > "$TMP/apps.yaml" && mv "$TMP/apps.yaml" "$TMP/repo/clusters/prod/apps.yaml"
	run "$KVET" render "$TMP/repo" --rev HEAD
	expect_code 0 "--rev HEAD"
	expect_out "# unit flux-system/apps (flux, path apps, defined at clusters/prod/apps.yaml:1): 2 objects" "--rev reads the revision"
	run "$KVET" render "$TMP/repo"
	expect_out "# unit flux-system/renamed " "the work tree has the edit"
	run "$KVET" render "$TMP/repo" --rev no-such-rev
	expect_code 2 "unknown revision"
fi

# The shared corpus, when present.
CORPUS="$ROOT/../shared/corpus"
if [ -d "$CORPUS/flux2-kustomize-helm-example" ] && [ -d "$CORPUS/argocd-example-apps" ]; then
	run "$KVET" render "$CORPUS/flux2-kustomize-helm-example"
	[ "$CODE" = 0 ] || [ "$CODE" = 1 ] && ok || bad "flux2-kustomize-helm-example: exit $CODE"
	for u in "flux-system/apps (flux, path apps/production" "flux-system/infra-controllers (flux, path infrastructure/controllers" \
		"flux-system/infra-configs (flux, path infrastructure/configs" "flux-system/apps (flux, path apps/staging"; do
		expect_out "# unit $u" "flux2-kustomize-helm-example: $u"
	done
	expect_out "# unit flux-system/flux-system (flux, path clusters/production, defined at clusters/production/flux-system/gotk-components.yaml:1)" \
		"flux2-kustomize-helm-example: the bootstrap Kustomization"
	n=$(printf '%s\n' "$OUT" | grep -c '^# unit .*objects')
	[ "$n" = 8 ] && ok || bad "flux2-kustomize-helm-example: $n rendered units, want 8"
	expect_out "kind: HelmRelease" "flux2-kustomize-helm-example: rendered objects"

	run "$KVET" render "$CORPUS/argocd-example-apps"
	[ "$CODE" = 0 ] || [ "$CODE" = 1 ] && ok || bad "argocd-example-apps: exit $CODE"
	for u in "sock-shop (kustomize, path sock-shop)" "pre-post-sync (kustomize, path pre-post-sync)" "plain (plain, path .)"; do
		expect_out "# unit $u" "argocd-example-apps: $u"
	done
	for c in helm-guestbook helm-dependency blue-green; do
		expect_out "$c/Chart.yaml: warning: $c is a Helm chart: not rendered" "argocd-example-apps: $c"
	done
	expect_out "name: guestbook-ui" "argocd-example-apps: plain objects"
else
	echo "skipping the corpus checks: $CORPUS is not there"
fi

# Checked from a folder beside it ("../repo"), a plain unit's files are applied: no
# render/unapplied note (paths above the current folder are matched as absolute paths).
mkdir -p "$TMP/beside/repo/.git" "$TMP/beside/cwd"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: default\n' > "$TMP/beside/repo/cm.yaml"
(cd "$TMP/beside/cwd" && "$KVET" check ../repo -s "$MINI" > "$TMP/beside/out" 2>&1)
OUT=$(cat "$TMP/beside/out")
expect_out "1 object (1 valid" "a plain file checked from beside its repository"
expect_no_out "render/unapplied" "a plain unit's file is applied, checked from beside its repository"

finish
