#!/bin/sh
# Bad input to the render: each kind of broken kustomization is one clear problem at the line
# to edit, with the documented exit code, and the rest of the build goes on. Cycles, missing
# files, malformed kustomizations, paths that escape the repository or the kustomization's
# folder, a component used as a resource (and the reverse), a generator input above the size
# limit, and a Flux substitution that makes invalid YAML.
. tests/scripts/lib.sh

repo="$TMP/repo"
fresh() {
	rm -rf "$repo"
	mkdir -p "$repo/.git"
	cd "$repo" || exit 1
}
cm() { printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n' "$1"; }

# A cycle: a includes b, b includes a.
fresh
mkdir a b
printf 'resources:\n- ../b\n' > a/kustomization.yaml
printf 'resources:\n- cm.yaml\n- ../a\n' > b/kustomization.yaml
cm one > b/cm.yaml
run "$KVET" render --kustomize a
expect_code 1 "cycle"
expect_out "b/kustomization.yaml:3:3: error: a is being built already: it includes itself, a cycle [render/cycle]" "cycle at the entry that closes it"
expect_out "name: one" "the rest of a cyclic build is rendered"

# A folder that includes its own parent.
fresh
mkdir -p app/sub
printf 'resources:\n- sub\n' > app/kustomization.yaml
printf 'resources:\n- ..\n' > app/sub/kustomization.yaml
run "$KVET" render --kustomize app
expect_code 1 "parent cycle"
expect_out "app/sub/kustomization.yaml:2:3: error:" "parent cycle location"
expect_out "[render/cycle]" "parent cycle rule"

# A missing file and a missing folder.
fresh
printf 'resources:\n- cm.yaml\n- gone.yaml\n- nothere/\n' > kustomization.yaml
cm one > cm.yaml
run "$KVET" render --kustomize .
expect_code 1 "missing"
expect_out "kustomization.yaml:3:3: error: gone.yaml is not in the repository [render/missing]" "missing file"
expect_out "kustomization.yaml:4:3: error: nothere/ is not in the repository [render/missing]" "missing folder"
expect_out "name: one" "the rest is rendered"

# Malformed kustomizations: an unknown field (with a suggestion), a wrong shape, not a map.
fresh
printf 'resource:\n- cm.yaml\nnamePrefix: [a]\n' > kustomization.yaml
run "$KVET" render --kustomize .
expect_code 1 "malformed"
expect_out "kustomization.yaml:1:1: error: resource is not a field of a kustomization: kustomize refuses the file [render/kustomization]" "unknown field"
expect_out "hint: did you mean resources?" "unknown field suggestion"
expect_out "kustomization.yaml:3:13: error: namePrefix must be a string, not a list [render/kustomization]" "wrong shape"
fresh
printf -- '- a\n- b\n' > kustomization.yaml
run "$KVET" render --kustomize .
expect_code 1 "not a map"
expect_out "kustomization.yaml:1:1: error: a kustomization must be a map [render/kustomization]" "not a map"
fresh
printf 'resources: [a.yaml\n' > kustomization.yaml
run "$KVET" render --kustomize .
expect_code 1 "bad YAML"
expect_out "kustomization.yaml:" "bad YAML is located"
expect_out "[yaml/syntax]" "bad YAML rule"

# Paths that escape: out of the repository, and out of the kustomization's folder.
fresh
mkdir app other
cm other > other/cm.yaml
printf 'resources:\n- ../../../etc/passwd\n- ../other/cm.yaml\n- ../other\n' > app/kustomization.yaml
printf 'resources:\n- cm.yaml\n' > other/kustomization.yaml
run "$KVET" render --kustomize app
expect_code 1 "escapes"
expect_out "app/kustomization.yaml:2:3: error:" "escape out of the repository is located"
expect_out "leads out of the repository" "escape out of the repository"
expect_out "app/kustomization.yaml:3:3: error: ../other/cm.yaml is outside app [render/path]" "a file outside the kustomization's folder"
expect_out "name: other" "a folder beside it is a base, allowed"
expect_no_out "root:" "nothing of /etc/passwd is read"

# A Component listed as a resource, and a Kustomization listed as a component.
fresh
mkdir comp base
printf 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nnamePrefix: c-\n' > comp/kustomization.yaml
printf 'resources:\n- cm.yaml\n' > base/kustomization.yaml
cm one > base/cm.yaml
printf 'resources:\n- comp\n- base\ncomponents:\n- base\n' > kustomization.yaml
run "$KVET" render --kustomize .
expect_code 1 "component misuse"
expect_out "kustomization.yaml:2:3: error: comp is a Component: list it under components, not resources [render/kustomization]" "component as resource"
expect_out "kustomization.yaml:5:3: error: base is a Kustomization, where a component (kind: Component) is expected [render/kustomization]" "kustomization as component"

# A generator input above limits.fileSize: refused at the generator entry, never read whole.
fresh
printf 'limits:\n  fileSize: 1000\n' > .kvet.yaml
head -c 5000 /dev/zero | tr '\0' 'a' > big.txt
printf 'configMapGenerator:\n- name: big\n  files:\n  - big.txt\n' > kustomization.yaml
run "$KVET" check . -s "$MINI"
expect_code 1 "huge generator input"
expect_out "kustomization.yaml:4:5: error:" "huge generator input is located at the entry"
expect_out "larger than limits.fileSize (1000 bytes)" "huge generator input says the limit"
run "$KVET" render --kustomize .
expect_code 1 "kvet render reads the repository's limits"
expect_out "kustomization.yaml:4:5: error: cannot read big.txt: larger than limits.fileSize (1000 bytes)" "kvet render: the limit at the entry"
printf 'limits:\n  fileSize: lots\n' > .kvet.yaml
run "$KVET" render --kustomize .
expect_code 2 "a bad .kvet.yaml is a usage error for kvet render too"
expect_out ".kvet.yaml:2:13" "the bad limit is located"

# Large inputs cost time and memory in proportion: a generator of 50,000 env lines and a Flux
# folder of 12,000 files render within 512 MiB of address space (building them by copying grew as
# the square: 20 GB for the env file). Not under the sanitizers, which reserve more themselves.
if [ -z "${SANITIZE:-}" ]; then
	fresh
	seq 1 50000 | awk '{ print "KEY_" $1 "=value" $1 }' > big.env
	printf 'configMapGenerator:\n- name: big\n  envs: [big.env]\n' > kustomization.yaml
	run sh -c "ulimit -v 524288 && \"$KVET\" render --kustomize . | grep -c '^  KEY_'"
	expect_code 0 "a 50,000-line env file"
	expect_out "50000" "every key of a 50,000-line env file"
	fresh
	mkdir -p app clusters
	printf 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: app, namespace: flux-system}\nspec:\n  path: ./app\n  sourceRef: {kind: GitRepository, name: flux-system}\n' > clusters/app.yaml
	i=0
	while [ $i -lt 12000 ]; do
		printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c%d, namespace: x}\n' $i > app/c$i.yaml
		i=$((i + 1))
	done
	run sh -c "ulimit -v 524288 && \"$KVET\" render | grep -c '^kind: ConfigMap'"
	expect_code 0 "a Flux folder of 12,000 files"
	expect_out "12000" "every file of a Flux folder of 12,000 files"
fi

# A Flux substitution that makes invalid YAML is reported at the value.
fresh
mkdir -p clusters app
cat > clusters/app.yaml <<'EOF'
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: app
  namespace: flux-system
spec:
  interval: 10m
  path: ./app
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
  postBuild:
    substitute:
      BAD: "[unclosed"
EOF
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: default\ndata:\n  n: ${BAD}\n' > app/cm.yaml
run "$KVET" render
expect_code 1 "substitution"
expect_out "app/cm.yaml:7:6: error:" "invalid substitution result located at the value"
expect_out "[render/substitute]" "invalid substitution rule"

cd "$ROOT" || exit 1
finish
