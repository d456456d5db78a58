/* scope.c: which kinds kustomize treats as cluster-scoped: they get no namespace from the
 * namespace transformer, and their identity ignores it. kustomize (v5.5) decides from the
 * OpenAPI document it embeds (Kubernetes 1.21), by apiVersion and kind: a kind it does not
 * know there is namespaced, so newer cluster-scoped kinds (ValidatingAdmissionPolicy,
 * flowcontrol v1, ...) and custom resources get a namespace. The table below is that
 * document's view, checked kind by kind against `kubectl kustomize` (Kustomize v5.5.0)
 * with every cluster-scoped kind of Kubernetes 1.35 and the older versions of each. */
#include "internal.h"
#include "xform.h"

#include <string.h>

static const struct {
	const char *group, *version, *kind;
} cluster_kinds[] = {
	{"", "v1", "ComponentStatus"},
	{"", "v1", "Namespace"},
	{"", "v1", "Node"},
	{"", "v1", "NodeProxyOptions"},
	{"", "v1", "PersistentVolume"},
	{"admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration"},
	{"admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration"},
	{"admissionregistration.k8s.io", "v1beta1", "MutatingWebhookConfiguration"},
	{"admissionregistration.k8s.io", "v1beta1", "ValidatingWebhookConfiguration"},
	{"apiextensions.k8s.io", "v1", "CustomResourceDefinition"},
	{"apiextensions.k8s.io", "v1beta1", "CustomResourceDefinition"},
	{"apiregistration.k8s.io", "v1", "APIService"},
	{"apiregistration.k8s.io", "v1beta1", "APIService"},
	{"certificates.k8s.io", "v1", "CertificateSigningRequest"},
	{"certificates.k8s.io", "v1beta1", "CertificateSigningRequest"},
	{"flowcontrol.apiserver.k8s.io", "v1beta1", "FlowSchema"},
	{"flowcontrol.apiserver.k8s.io", "v1beta1", "PriorityLevelConfiguration"},
	{"networking.k8s.io", "v1", "IngressClass"},
	{"networking.k8s.io", "v1beta1", "IngressClass"},
	{"node.k8s.io", "v1", "RuntimeClass"},
	{"node.k8s.io", "v1beta1", "RuntimeClass"},
	{"policy", "v1beta1", "PodSecurityPolicy"},
	{"rbac.authorization.k8s.io", "v1", "ClusterRole"},
	{"rbac.authorization.k8s.io", "v1", "ClusterRoleBinding"},
	{"rbac.authorization.k8s.io", "v1beta1", "ClusterRole"},
	{"rbac.authorization.k8s.io", "v1beta1", "ClusterRoleBinding"},
	{"scheduling.k8s.io", "v1", "PriorityClass"},
	{"scheduling.k8s.io", "v1beta1", "PriorityClass"},
	{"storage.k8s.io", "v1", "CSIDriver"},
	{"storage.k8s.io", "v1", "CSINode"},
	{"storage.k8s.io", "v1", "StorageClass"},
	{"storage.k8s.io", "v1", "VolumeAttachment"},
	{"storage.k8s.io", "v1beta1", "CSIDriver"},
	{"storage.k8s.io", "v1beta1", "CSINode"},
	{"storage.k8s.io", "v1beta1", "StorageClass"},
	{"storage.k8s.io", "v1beta1", "VolumeAttachment"},
};

#define NKINDS (sizeof cluster_kinds / sizeof cluster_kinds[0])

bool rn_cluster_scoped_gvk(const char *group, const char *version, const char *kind)
{
	if (!group || !kind)
		return false;
	for (size_t i = 0; i < NKINDS; i++)
		if (strcmp(kind, cluster_kinds[i].kind) == 0 && strcmp(group, cluster_kinds[i].group) == 0 &&
		    (!version || strcmp(version, cluster_kinds[i].version) == 0))
			return true;
	return false;
}

bool rn_cluster_scoped(const char *group, const char *version, const char *kind)
{
	return rn_cluster_scoped_gvk(group, version, kind);
}
