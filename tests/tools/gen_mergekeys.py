#!/usr/bin/env python3
"""gen_mergekeys.py: writes src/render/mergekeys.c, the strategic merge facts kvet carries.

Usage: python3 tests/tools/gen_mergekeys.py SWAGGER.json > src/render/mergekeys.c
(the Kubernetes OpenAPI v2 document, e.g. ../shared/k8s/swagger-v1.35.0.json).

kustomize merges a list by key only where its built-in schema says
x-kubernetes-patch-strategy contains "merge" (it never infers keys), so kvet needs, per kind,
only the paths that lead to such lists: the types that hold one (directly, in list items or
in map values), and for each list its keys (x-kubernetes-list-map-keys, else
x-kubernetes-patch-merge-key; none for a list of scalars such as finalizers). Every other
field behaves as one without a schema (lists replaced), so it is left out.

kustomize v5.5 embeds the Kubernetes v1.21.2 schema: lists and kinds that appeared later are
merged by kustomize as plain lists (replaced), so they are left out here (LATER, LATER_KINDS
below), and the kinds 1.21 served that were removed since are given the type of their
successor (ALIASES).
"""
import json
import sys

LATER = {  # definition suffix, property: added to Kubernetes after v1.21
    ("core.v1.PodSpec", "schedulingGates"),
    ("core.v1.PodSpec", "resourceClaims"),
    ("MutatingWebhook", "matchConditions"),
    ("ValidatingWebhook", "matchConditions"),
    ("AdmissionPolicySpec", "matchConditions"),
    ("AdmissionPolicySpec", "variables"),
    ("JSONSchemaProps", "x-kubernetes-validations"),
}
# Group/versions (or group/version/kind) the document serves that Kubernetes 1.21 did not:
# kustomize has no schema for them, so none of their lists merges by key.
LATER_KINDS = [
    ("autoscaling", "v2", None),
    ("flowcontrol.apiserver.k8s.io", "v1beta2", None),
    ("flowcontrol.apiserver.k8s.io", "v1beta3", None),
    ("flowcontrol.apiserver.k8s.io", "v1", None),
    ("admissionregistration.k8s.io", "v1alpha1", None),
    ("admissionregistration.k8s.io", "v1beta1", None),
    ("admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicy"),
    ("admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicyBinding"),
    ("admissionregistration.k8s.io", "v1", "MutatingAdmissionPolicy"),
    ("admissionregistration.k8s.io", "v1", "MutatingAdmissionPolicyBinding"),
    ("resource.k8s.io", None, None),
    ("storage.k8s.io", "v1", "CSIStorageCapacity"),
    ("storage.k8s.io", None, "VolumeAttributesClass"),
    ("networking.k8s.io", "v1alpha1", None),
    ("networking.k8s.io", "v1beta1", None),
    ("networking.k8s.io", "v1", "IPAddress"),
    ("networking.k8s.io", "v1", "ServiceCIDR"),
    ("certificates.k8s.io", "v1alpha1", None),
    ("certificates.k8s.io", "v1beta1", None),
    ("coordination.k8s.io", "v1alpha1", None),
    ("coordination.k8s.io", "v1alpha2", None),
    ("coordination.k8s.io", "v1beta1", None),
    ("storagemigration.k8s.io", None, None),
    ("scheduling.k8s.io", "v1alpha1", None),
    ("scheduling.k8s.io", "v1alpha2", None),
    ("authentication.k8s.io", "v1", "SelfSubjectReview"),
    ("authentication.k8s.io", "v1beta1", "SelfSubjectReview"),
    ("authentication.k8s.io", "v1alpha1", "SelfSubjectReview"),
]
V1 = "io.k8s.api."
ALIASES = [  # kinds 1.21 served that were removed since: group, version, kind, the definition of the same shape
    ("batch", "v1beta1", "CronJob", V1 + "batch.v1.CronJob"),
    ("admissionregistration.k8s.io", "v1beta1", "MutatingWebhookConfiguration",
     V1 + "admissionregistration.v1.MutatingWebhookConfiguration"),
    ("admissionregistration.k8s.io", "v1beta1", "ValidatingWebhookConfiguration",
     V1 + "admissionregistration.v1.ValidatingWebhookConfiguration"),
    ("policy", "v1beta1", "PodDisruptionBudget", V1 + "policy.v1.PodDisruptionBudget"),
    ("networking.k8s.io", "v1beta1", "Ingress", V1 + "networking.v1.Ingress"),
    ("networking.k8s.io", "v1beta1", "IngressClass", V1 + "networking.v1.IngressClass"),
    ("extensions", "v1beta1", "Ingress", V1 + "networking.v1.Ingress"),
    ("rbac.authorization.k8s.io", "v1beta1", "Role", V1 + "rbac.v1.Role"),
    ("rbac.authorization.k8s.io", "v1beta1", "ClusterRole", V1 + "rbac.v1.ClusterRole"),
    ("rbac.authorization.k8s.io", "v1beta1", "RoleBinding", V1 + "rbac.v1.RoleBinding"),
    ("rbac.authorization.k8s.io", "v1beta1", "ClusterRoleBinding", V1 + "rbac.v1.ClusterRoleBinding"),
    ("storage.k8s.io", "v1beta1", "StorageClass", V1 + "storage.v1.StorageClass"),
    ("storage.k8s.io", "v1beta1", "CSIDriver", V1 + "storage.v1.CSIDriver"),
    ("storage.k8s.io", "v1beta1", "CSINode", V1 + "storage.v1.CSINode"),
    ("scheduling.k8s.io", "v1beta1", "PriorityClass", V1 + "scheduling.v1.PriorityClass"),
    ("apiextensions.k8s.io", "v1beta1", "CustomResourceDefinition",
     "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition"),
]


def later_kind(g, v, k):
    base = k[:-4] if k.endswith("List") else k
    return any(g == lg and (lv is None or v == lv) and (lk is None or lk in (k, base)) for lg, lv, lk in LATER_KINDS)


def ref_of(schema):
    r = schema.get("$ref", "")
    return r.split("/")[-1] if r else None


def later(defn, prop):
    return any(defn.endswith(d) and prop == p for d, p in LATER)


def main():
    defs = json.load(open(sys.argv[1]))["definitions"]

    def merge_list(defn, prop, ps):
        st = ps.get("x-kubernetes-patch-strategy", "")
        return ps.get("type") == "array" and "merge" in st.split(",") and not later(defn, prop)

    # Which definitions lead to a merge list (fixpoint).
    relevant = set()
    changed = True
    while changed:
        changed = False
        for name, d in defs.items():
            if name in relevant:
                continue
            for prop, ps in (d.get("properties") or {}).items():
                target = ref_of(ps) or ref_of(ps.get("items", {})) or ref_of(ps.get("additionalProperties", {}) or {})
                if merge_list(name, prop, ps) or (target in relevant):
                    relevant.add(name)
                    changed = True
                    break
    def targets(n):
        for prop, ps in (defs[n].get("properties") or {}).items():
            for t in (ref_of(ps), ref_of(ps.get("items", {})), ref_of(ps.get("additionalProperties", {}) or {})):
                if t in relevant:
                    yield t

    kind_defs = []  # group, version, kind, definition
    for n in sorted(relevant):
        for gvk in defs[n].get("x-kubernetes-group-version-kind", []):
            if not later_kind(gvk["group"], gvk["version"], gvk["kind"]):
                kind_defs.append((gvk["group"], gvk["version"], gvk["kind"], n))
    kind_defs += [a for a in ALIASES if a[3] in relevant]
    # Only the types reachable from a kind.
    reachable = set()
    todo = [d for _, _, _, d in kind_defs]
    while todo:
        n = todo.pop()
        if n in reachable:
            continue
        reachable.add(n)
        todo.extend(targets(n))
    names = sorted(reachable)
    index = {n: i for i, n in enumerate(names)}
    fields = []  # (name, how, target, merge, keys)
    spans = []
    for n in names:
        first = len(fields)
        for prop, ps in sorted((defs[n].get("properties") or {}).items()):
            items = ps.get("items", {})
            addl = ps.get("additionalProperties", {}) or {}
            if ps.get("type") == "array":
                target = ref_of(items)
                merge = merge_list(n, prop, ps)
                if not merge and target not in relevant:
                    continue
                keys = ps.get("x-kubernetes-list-map-keys") or (
                    [ps["x-kubernetes-patch-merge-key"]] if "x-kubernetes-patch-merge-key" in ps else [])
                fields.append((prop, "RN_MK_LIST", index.get(target, -1), merge, ",".join(keys) if merge else ""))
            elif ref_of(ps) in relevant:
                fields.append((prop, "RN_MK_OBJECT", index[ref_of(ps)], False, ""))
            elif ref_of(addl) in relevant:
                fields.append((prop, "RN_MK_MAPOF", index[ref_of(addl)], False, ""))
        spans.append((first, len(fields) - first, n))
    kinds = [(g, v, k, index[d]) for g, v, k, d in kind_defs]
    kinds = sorted(set(kinds))

    out = sys.stdout.write
    out("/* mergekeys.c: GENERATED by tests/tools/gen_mergekeys.py from the Kubernetes OpenAPI\n")
    out(" * document; do not edit. For each built-in kind, the types on the way to the lists that\n")
    out(" * strategic merge merges by key (x-kubernetes-patch-strategy: merge), as kustomize's\n")
    out(" * built-in schema says. See patch.h. */\n")
    out('#include "patch.h"\n\n')
    out("const rn_mk_field rn_mk_fields[] = {\n")
    for (prop, kind, target, merge, keys) in fields:
        out('\t{"%s", %s, %d, %s, "%s"},\n' % (prop, kind, target, "true" if merge else "false", keys))
    out("};\n\n")
    out("const rn_mk_type rn_mk_types[] = {\n")
    for first, n, name in spans:
        out("\t{%d, %d}, /* %s */\n" % (first, n, name.replace("io.k8s.api.", "").replace("io.k8s.apimachinery.pkg.apis.", "")))
    out("};\n\n")
    out("const rn_mk_kind rn_mk_kinds[] = {\n")
    for g, v, k, d in kinds:
        out('\t{"%s", "%s", "%s", %d},\n' % (g, v, k, d))
    out("};\n\n")
    out("const size_t rn_mk_nkinds = sizeof rn_mk_kinds / sizeof rn_mk_kinds[0];\n")


main()
