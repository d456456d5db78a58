/* facts.c: the table of enumerations and defaults the API server applies to built-in kinds and
 * the v1.35 OpenAPI v2 document does not state. Each entry was checked against the document:
 * the property exists and has the type the entry assumes (string, or a list of strings). */
#include "facts.h"

#include <stdlib.h>
#include <string.h>

static const char *const v_ignore_fail[] = {"Ignore", "Fail", NULL};
static const char *const v_exact_equivalent[] = {"Exact", "Equivalent", NULL};
static const char *const v_never_ifneeded[] = {"Never", "IfNeeded", NULL};
static const char *const v_unknown_none_some_noneondryrun[] = {"Unknown", "None", "Some", "NoneOnDryRun", NULL};
static const char *const v_allow_deny[] = {"Allow", "Deny", NULL};
static const char *const v_any_create_update_delete_connect[] = {"*", "CREATE", "UPDATE", "DELETE", "CONNECT", NULL};
static const char *const v_any_cluster_namespaced[] = {"*", "Cluster", "Namespaced", NULL};
static const char *const v_deny_warn_audit[] = {"Deny", "Warn", "Audit", NULL};
static const char *const v_rollingupdate_ondelete[] = {"RollingUpdate", "OnDelete", NULL};
static const char *const v_recreate_rollingupdate[] = {"Recreate", "RollingUpdate", NULL};
static const char *const v_retain_delete[] = {"Retain", "Delete", NULL};
static const char *const v_orderedready_parallel[] = {"OrderedReady", "Parallel", NULL};
static const char *const v_pods_percent[] = {"Pods", "Percent", NULL};
static const char *const v_max_min_disabled[] = {"Max", "Min", "Disabled", NULL};
static const char *const v_containerresource_external_object_pods[] = {"ContainerResource", "External", "Object", "Pods", "Resource", NULL};
static const char *const v_utilization_value_averagevalue[] = {"Utilization", "Value", "AverageValue", NULL};
static const char *const v_allow_forbid_replace[] = {"Allow", "Forbid", "Replace", NULL};
static const char *const v_nonindexed_indexed[] = {"NonIndexed", "Indexed", NULL};
static const char *const v_terminatingorfailed_failed[] = {"TerminatingOrFailed", "Failed", NULL};
static const char *const v_in_notin[] = {"In", "NotIn", NULL};
static const char *const v_failjob_failindex_ignore_count[] = {"FailJob", "FailIndex", "Ignore", "Count", NULL};
static const char *const v_localhost_runtimedefault_unconfined[] = {"Localhost", "RuntimeDefault", "Unconfined", NULL};
static const char *const v_always_never_ifnotpresent[] = {"Always", "Never", "IfNotPresent", NULL};
static const char *const v_always_onfailure_never[] = {"Always", "OnFailure", "Never", NULL};
static const char *const v_file_fallbacktologsonerror[] = {"File", "FallbackToLogsOnError", NULL};
static const char *const v_tcp_udp_sctp[] = {"TCP", "UDP", "SCTP", NULL};
static const char *const v_notrequired_restartcontainer[] = {"NotRequired", "RestartContainer", NULL};
static const char *const v_http_https[] = {"HTTP", "HTTPS", NULL};
static const char *const v_empty_directoryorcreate_directory_file[] = {"", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice", "BlockDevice", NULL};
static const char *const v_pod_container_persistentvolumeclaim[] = {"Pod", "Container", "PersistentVolumeClaim", NULL};
static const char *const v_in_notin_exists_doesnotexist_gt_lt[] = {"In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt", NULL};
static const char *const v_readwriteonce_readonlymany_readwritema[] = {"ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod", NULL};
static const char *const v_block_filesystem[] = {"Block", "Filesystem", NULL};
static const char *const v_recycle_delete_retain[] = {"Recycle", "Delete", "Retain", NULL};
static const char *const v_linux_windows[] = {"linux", "windows", NULL};
static const char *const v_onrootmismatch_always[] = {"OnRootMismatch", "Always", NULL};
static const char *const v_clusterfirstwithhostnet_clusterfirst_d[] = {"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None", NULL};
static const char *const v_preemptlowerpriority_never[] = {"PreemptLowerPriority", "Never", NULL};
static const char *const v_terminating_notterminating_besteffort_[] = {"Terminating", "NotTerminating", "BestEffort", "NotBestEffort", "PriorityClass", "CrossNamespacePodAffinity", "VolumeAttributesClass", NULL};
static const char *const v_in_notin_exists_doesnotexist[] = {"In", "NotIn", "Exists", "DoesNotExist", NULL};
static const char *const v_default_unmasked[] = {"Default", "Unmasked", NULL};
static const char *const v_cluster_local[] = {"Cluster", "Local", NULL};
static const char *const v_ipv4_ipv6[] = {"IPv4", "IPv6", NULL};
static const char *const v_singlestack_preferdualstack_requiredua[] = {"SingleStack", "PreferDualStack", "RequireDualStack", NULL};
static const char *const v_clientip_none[] = {"ClientIP", "None", NULL};
static const char *const v_clusterip_nodeport_loadbalancer_extern[] = {"ClusterIP", "NodePort", "LoadBalancer", "ExternalName", NULL};
static const char *const v_noschedule_prefernoschedule_noexecute[] = {"NoSchedule", "PreferNoSchedule", "NoExecute", NULL};
static const char *const v_exists_equal[] = {"Exists", "Equal", NULL};
static const char *const v_honor_ignore[] = {"Honor", "Ignore", NULL};
static const char *const v_donotschedule_scheduleanyway[] = {"DoNotSchedule", "ScheduleAnyway", NULL};
static const char *const v_none_hosttocontainer_bidirectional[] = {"None", "HostToContainer", "Bidirectional", NULL};
static const char *const v_disabled_ifpossible_enabled[] = {"Disabled", "IfPossible", "Enabled", NULL};
static const char *const v_exact_prefix_implementationspecific[] = {"Exact", "Prefix", "ImplementationSpecific", NULL};
static const char *const v_ingress_egress[] = {"Ingress", "Egress", NULL};
static const char *const v_ifhealthybudget_alwaysallow[] = {"IfHealthyBudget", "AlwaysAllow", NULL};
static const char *const v_delete_retain[] = {"Delete", "Retain", NULL};
static const char *const v_immediate_waitforfirstconsumer[] = {"Immediate", "WaitForFirstConsumer", NULL};
static const char *const v_none_webhook[] = {"None", "Webhook", NULL};
static const char *const v_cluster_namespaced[] = {"Cluster", "Namespaced", NULL};

/* Sorted by definition, then property: looked up by binary search. */
static const kv_fact_prop props[] = {
	{"io.k8s.api.admissionregistration.v1.MutatingWebhook", "failurePolicy", false, v_ignore_fail, NULL},
	{"io.k8s.api.admissionregistration.v1.MutatingWebhook", "matchPolicy", false, v_exact_equivalent, NULL},
	{"io.k8s.api.admissionregistration.v1.MutatingWebhook", "reinvocationPolicy", false, v_never_ifneeded, NULL},
	{"io.k8s.api.admissionregistration.v1.MutatingWebhook", "sideEffects", false, v_unknown_none_some_noneondryrun, NULL},
	{"io.k8s.api.admissionregistration.v1.ParamRef", "parameterNotFoundAction", false, v_allow_deny, NULL},
	{"io.k8s.api.admissionregistration.v1.RuleWithOperations", "operations", true, v_any_create_update_delete_connect, NULL},
	{"io.k8s.api.admissionregistration.v1.RuleWithOperations", "scope", false, v_any_cluster_namespaced, NULL},
	{"io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicyBindingSpec", "validationActions", true, v_deny_warn_audit, NULL},
	{"io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicySpec", "failurePolicy", false, v_ignore_fail, NULL},
	{"io.k8s.api.admissionregistration.v1.ValidatingWebhook", "failurePolicy", false, v_ignore_fail, NULL},
	{"io.k8s.api.admissionregistration.v1.ValidatingWebhook", "matchPolicy", false, v_exact_equivalent, NULL},
	{"io.k8s.api.admissionregistration.v1.ValidatingWebhook", "sideEffects", false, v_unknown_none_some_noneondryrun, NULL},
	{"io.k8s.api.apps.v1.DaemonSetUpdateStrategy", "type", false, v_rollingupdate_ondelete, NULL},
	{"io.k8s.api.apps.v1.DeploymentStrategy", "type", false, v_recreate_rollingupdate, NULL},
	{"io.k8s.api.apps.v1.StatefulSetPersistentVolumeClaimRetentionPolicy", "whenDeleted", false, v_retain_delete, NULL},
	{"io.k8s.api.apps.v1.StatefulSetPersistentVolumeClaimRetentionPolicy", "whenScaled", false, v_retain_delete, NULL},
	{"io.k8s.api.apps.v1.StatefulSetSpec", "podManagementPolicy", false, v_orderedready_parallel, NULL},
	{"io.k8s.api.apps.v1.StatefulSetUpdateStrategy", "type", false, v_rollingupdate_ondelete, NULL},
	{"io.k8s.api.autoscaling.v2.HPAScalingPolicy", "type", false, v_pods_percent, NULL},
	{"io.k8s.api.autoscaling.v2.HPAScalingRules", "selectPolicy", false, v_max_min_disabled, NULL},
	{"io.k8s.api.autoscaling.v2.MetricSpec", "type", false, v_containerresource_external_object_pods, NULL},
	{"io.k8s.api.autoscaling.v2.MetricTarget", "type", false, v_utilization_value_averagevalue, NULL},
	{"io.k8s.api.batch.v1.CronJobSpec", "concurrencyPolicy", false, v_allow_forbid_replace, NULL},
	{"io.k8s.api.batch.v1.JobSpec", "completionMode", false, v_nonindexed_indexed, NULL},
	{"io.k8s.api.batch.v1.JobSpec", "podReplacementPolicy", false, v_terminatingorfailed_failed, NULL},
	{"io.k8s.api.batch.v1.PodFailurePolicyOnExitCodesRequirement", "operator", false, v_in_notin, NULL},
	{"io.k8s.api.batch.v1.PodFailurePolicyRule", "action", false, v_failjob_failindex_ignore_count, NULL},
	{"io.k8s.api.core.v1.AppArmorProfile", "type", false, v_localhost_runtimedefault_unconfined, NULL},
	{"io.k8s.api.core.v1.Container", "imagePullPolicy", false, v_always_never_ifnotpresent, NULL},
	{"io.k8s.api.core.v1.Container", "restartPolicy", false, v_always_onfailure_never, NULL},
	{"io.k8s.api.core.v1.Container", "terminationMessagePolicy", false, v_file_fallbacktologsonerror, NULL},
	{"io.k8s.api.core.v1.ContainerPort", "protocol", false, v_tcp_udp_sctp, "TCP"},
	{"io.k8s.api.core.v1.ContainerResizePolicy", "restartPolicy", false, v_notrequired_restartcontainer, NULL},
	{"io.k8s.api.core.v1.EndpointPort", "protocol", false, v_tcp_udp_sctp, "TCP"},
	{"io.k8s.api.core.v1.EphemeralContainer", "imagePullPolicy", false, v_always_never_ifnotpresent, NULL},
	{"io.k8s.api.core.v1.EphemeralContainer", "terminationMessagePolicy", false, v_file_fallbacktologsonerror, NULL},
	{"io.k8s.api.core.v1.HTTPGetAction", "scheme", false, v_http_https, NULL},
	{"io.k8s.api.core.v1.HostPathVolumeSource", "type", false, v_empty_directoryorcreate_directory_file, NULL},
	{"io.k8s.api.core.v1.LimitRangeItem", "type", false, v_pod_container_persistentvolumeclaim, NULL},
	{"io.k8s.api.core.v1.NodeSelectorRequirement", "operator", false, v_in_notin_exists_doesnotexist_gt_lt, NULL},
	{"io.k8s.api.core.v1.PersistentVolumeClaimSpec", "accessModes", true, v_readwriteonce_readonlymany_readwritema, NULL},
	{"io.k8s.api.core.v1.PersistentVolumeClaimSpec", "volumeMode", false, v_block_filesystem, NULL},
	{"io.k8s.api.core.v1.PersistentVolumeSpec", "accessModes", true, v_readwriteonce_readonlymany_readwritema, NULL},
	{"io.k8s.api.core.v1.PersistentVolumeSpec", "persistentVolumeReclaimPolicy", false, v_recycle_delete_retain, NULL},
	{"io.k8s.api.core.v1.PersistentVolumeSpec", "volumeMode", false, v_block_filesystem, NULL},
	{"io.k8s.api.core.v1.PodOS", "name", false, v_linux_windows, NULL},
	{"io.k8s.api.core.v1.PodSecurityContext", "fsGroupChangePolicy", false, v_onrootmismatch_always, NULL},
	{"io.k8s.api.core.v1.PodSpec", "dnsPolicy", false, v_clusterfirstwithhostnet_clusterfirst_d, NULL},
	{"io.k8s.api.core.v1.PodSpec", "preemptionPolicy", false, v_preemptlowerpriority_never, NULL},
	{"io.k8s.api.core.v1.PodSpec", "restartPolicy", false, v_always_onfailure_never, NULL},
	{"io.k8s.api.core.v1.ResourceQuotaSpec", "scopes", true, v_terminating_notterminating_besteffort_, NULL},
	{"io.k8s.api.core.v1.ScopedResourceSelectorRequirement", "operator", false, v_in_notin_exists_doesnotexist, NULL},
	{"io.k8s.api.core.v1.ScopedResourceSelectorRequirement", "scopeName", false, v_terminating_notterminating_besteffort_, NULL},
	{"io.k8s.api.core.v1.SeccompProfile", "type", false, v_localhost_runtimedefault_unconfined, NULL},
	{"io.k8s.api.core.v1.SecurityContext", "procMount", false, v_default_unmasked, NULL},
	{"io.k8s.api.core.v1.ServicePort", "protocol", false, v_tcp_udp_sctp, "TCP"},
	{"io.k8s.api.core.v1.ServiceSpec", "externalTrafficPolicy", false, v_cluster_local, NULL},
	{"io.k8s.api.core.v1.ServiceSpec", "internalTrafficPolicy", false, v_cluster_local, NULL},
	{"io.k8s.api.core.v1.ServiceSpec", "ipFamilies", true, v_ipv4_ipv6, NULL},
	{"io.k8s.api.core.v1.ServiceSpec", "ipFamilyPolicy", false, v_singlestack_preferdualstack_requiredua, NULL},
	{"io.k8s.api.core.v1.ServiceSpec", "sessionAffinity", false, v_clientip_none, NULL},
	{"io.k8s.api.core.v1.ServiceSpec", "type", false, v_clusterip_nodeport_loadbalancer_extern, NULL},
	{"io.k8s.api.core.v1.Taint", "effect", false, v_noschedule_prefernoschedule_noexecute, NULL},
	{"io.k8s.api.core.v1.Toleration", "effect", false, v_noschedule_prefernoschedule_noexecute, NULL},
	{"io.k8s.api.core.v1.Toleration", "operator", false, v_exists_equal, NULL},
	{"io.k8s.api.core.v1.TopologySpreadConstraint", "nodeAffinityPolicy", false, v_honor_ignore, NULL},
	{"io.k8s.api.core.v1.TopologySpreadConstraint", "nodeTaintsPolicy", false, v_honor_ignore, NULL},
	{"io.k8s.api.core.v1.TopologySpreadConstraint", "whenUnsatisfiable", false, v_donotschedule_scheduleanyway, NULL},
	{"io.k8s.api.core.v1.VolumeMount", "mountPropagation", false, v_none_hosttocontainer_bidirectional, NULL},
	{"io.k8s.api.core.v1.VolumeMount", "recursiveReadOnly", false, v_disabled_ifpossible_enabled, NULL},
	{"io.k8s.api.discovery.v1.EndpointPort", "protocol", false, v_tcp_udp_sctp, "TCP"},
	{"io.k8s.api.networking.v1.HTTPIngressPath", "pathType", false, v_exact_prefix_implementationspecific, NULL},
	{"io.k8s.api.networking.v1.NetworkPolicyPort", "protocol", false, v_tcp_udp_sctp, "TCP"},
	{"io.k8s.api.networking.v1.NetworkPolicySpec", "policyTypes", true, v_ingress_egress, NULL},
	{"io.k8s.api.policy.v1.PodDisruptionBudgetSpec", "unhealthyPodEvictionPolicy", false, v_ifhealthybudget_alwaysallow, NULL},
	{"io.k8s.api.storage.v1.StorageClass", "reclaimPolicy", false, v_delete_retain, NULL},
	{"io.k8s.api.storage.v1.StorageClass", "volumeBindingMode", false, v_immediate_waitforfirstconsumer, NULL},
	{"io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceConversion", "strategy", false, v_none_webhook, NULL},
	{"io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinitionSpec", "scope", false, v_cluster_namespaced, NULL},
	{"io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement", "operator", false, v_in_notin_exists_doesnotexist, NULL},
};

static int cmp(const void *key, const void *elem)
{
	const kv_fact_prop *k = key, *e = elem;
	int c = strcmp(k->def, e->def);
	return c ? c : strcmp(k->prop, e->prop);
}

const kv_fact_prop *kv_facts_prop(const char *def, const char *prop)
{
	kv_fact_prop key = {def, prop, false, NULL, NULL};
	return bsearch(&key, props, sizeof props / sizeof props[0], sizeof props[0], cmp);
}

const kv_fact_prop *kv_facts_table(size_t *n)
{
	*n = sizeof props / sizeof props[0];
	return props;
}
