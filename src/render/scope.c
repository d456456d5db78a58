/* scope.c: which kinds kustomize treats as cluster-scoped: they get no namespace from the
 * namespace transformer, and their identity ignores it. kustomize decides from the OpenAPI
 * document it embeds; a kind it does not know there is namespaced. */
#include "internal.h"

#include <string.h>

static const struct {
	const char *group, *kind;
} cluster_kinds[] = {
	{"", "Namespace"},
	{"", "Node"},
	{"", "PersistentVolume"},
	{"", "ComponentStatus"},
	{"rbac.authorization.k8s.io", "ClusterRole"},
	{"rbac.authorization.k8s.io", "ClusterRoleBinding"},
	{"apiextensions.k8s.io", "CustomResourceDefinition"},
	{"apiregistration.k8s.io", "APIService"},
	{"storage.k8s.io", "StorageClass"},
	{"storage.k8s.io", "CSIDriver"},
	{"storage.k8s.io", "CSINode"},
	{"storage.k8s.io", "VolumeAttachment"},
	{"scheduling.k8s.io", "PriorityClass"},
	{"node.k8s.io", "RuntimeClass"},
	{"policy", "PodSecurityPolicy"},
	{"admissionregistration.k8s.io", "MutatingWebhookConfiguration"},
	{"admissionregistration.k8s.io", "ValidatingWebhookConfiguration"},
	{"networking.k8s.io", "IngressClass"},
	{"certificates.k8s.io", "CertificateSigningRequest"},
	{"flowcontrol.apiserver.k8s.io", "FlowSchema"},
	{"flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"},
};

bool rn_cluster_scoped(const char *group, const char *kind)
{
	for (size_t i = 0; i < sizeof cluster_kinds / sizeof cluster_kinds[0]; i++)
		if (strcmp(group, cluster_kinds[i].group) == 0 && strcmp(kind, cluster_kinds[i].kind) == 0)
			return true;
	return false;
}
