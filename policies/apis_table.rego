# Data for api-removed (policies/apis.rego): the Kubernetes version matrix and the API tables.
# Versions are minor versions of Kubernetes 1.x.
package neurascale.apis

# Must equal the minors of kubernetes.versions in packages/toolchain/versions.json (a test checks it).
matrix := {"oldest": 32, "newest": 37}

# apiVersion -> kind -> {removed: first minor that no longer serves it, use: replacement}.
removed_apis := {
	"extensions/v1beta1": {
		"Deployment": {"removed": 16, "use": "apps/v1 Deployment"},
		"DaemonSet": {"removed": 16, "use": "apps/v1 DaemonSet"},
		"ReplicaSet": {"removed": 16, "use": "apps/v1 ReplicaSet"},
		"NetworkPolicy": {"removed": 16, "use": "networking.k8s.io/v1 NetworkPolicy"},
		"PodSecurityPolicy": {"removed": 16, "use": "Pod Security Admission (namespace label pod-security.kubernetes.io/enforce)"},
		"Ingress": {"removed": 22, "use": "networking.k8s.io/v1 Ingress"},
	},
	"apps/v1beta1": {
		"Deployment": {"removed": 16, "use": "apps/v1 Deployment"},
		"StatefulSet": {"removed": 16, "use": "apps/v1 StatefulSet"},
		"ControllerRevision": {"removed": 16, "use": "apps/v1 ControllerRevision"},
	},
	"apps/v1beta2": {
		"Deployment": {"removed": 16, "use": "apps/v1 Deployment"},
		"StatefulSet": {"removed": 16, "use": "apps/v1 StatefulSet"},
		"DaemonSet": {"removed": 16, "use": "apps/v1 DaemonSet"},
		"ReplicaSet": {"removed": 16, "use": "apps/v1 ReplicaSet"},
		"ControllerRevision": {"removed": 16, "use": "apps/v1 ControllerRevision"},
	},
	"networking.k8s.io/v1beta1": {
		"Ingress": {"removed": 22, "use": "networking.k8s.io/v1 Ingress"},
		"IngressClass": {"removed": 22, "use": "networking.k8s.io/v1 IngressClass"},
	},
	"batch/v1beta1": {"CronJob": {"removed": 25, "use": "batch/v1 CronJob"}},
	"batch/v2alpha1": {"CronJob": {"removed": 21, "use": "batch/v1 CronJob"}},
	"autoscaling/v2beta1": {"HorizontalPodAutoscaler": {"removed": 25, "use": "autoscaling/v2 HorizontalPodAutoscaler"}},
	"autoscaling/v2beta2": {"HorizontalPodAutoscaler": {"removed": 26, "use": "autoscaling/v2 HorizontalPodAutoscaler"}},
	"policy/v1beta1": {
		"PodDisruptionBudget": {"removed": 25, "use": "policy/v1 PodDisruptionBudget"},
		"PodSecurityPolicy": {"removed": 25, "use": "Pod Security Admission (namespace label pod-security.kubernetes.io/enforce)"},
	},
	"discovery.k8s.io/v1beta1": {"EndpointSlice": {"removed": 25, "use": "discovery.k8s.io/v1 EndpointSlice"}},
	"events.k8s.io/v1beta1": {"Event": {"removed": 25, "use": "events.k8s.io/v1 Event"}},
	"node.k8s.io/v1beta1": {"RuntimeClass": {"removed": 25, "use": "node.k8s.io/v1 RuntimeClass"}},
	"flowcontrol.apiserver.k8s.io/v1beta1": {
		"FlowSchema": {"removed": 26, "use": "flowcontrol.apiserver.k8s.io/v1 FlowSchema"},
		"PriorityLevelConfiguration": {"removed": 26, "use": "flowcontrol.apiserver.k8s.io/v1 PriorityLevelConfiguration"},
	},
	"flowcontrol.apiserver.k8s.io/v1beta2": {
		"FlowSchema": {"removed": 29, "use": "flowcontrol.apiserver.k8s.io/v1 FlowSchema"},
		"PriorityLevelConfiguration": {"removed": 29, "use": "flowcontrol.apiserver.k8s.io/v1 PriorityLevelConfiguration"},
	},
	"flowcontrol.apiserver.k8s.io/v1beta3": {
		"FlowSchema": {"removed": 32, "use": "flowcontrol.apiserver.k8s.io/v1 FlowSchema"},
		"PriorityLevelConfiguration": {"removed": 32, "use": "flowcontrol.apiserver.k8s.io/v1 PriorityLevelConfiguration"},
	},
	"storage.k8s.io/v1beta1": {
		"CSIStorageCapacity": {"removed": 27, "use": "storage.k8s.io/v1 CSIStorageCapacity"},
		"StorageClass": {"removed": 22, "use": "storage.k8s.io/v1 StorageClass"},
		"VolumeAttachment": {"removed": 22, "use": "storage.k8s.io/v1 VolumeAttachment"},
		"CSIDriver": {"removed": 22, "use": "storage.k8s.io/v1 CSIDriver"},
		"CSINode": {"removed": 22, "use": "storage.k8s.io/v1 CSINode"},
	},
	"rbac.authorization.k8s.io/v1beta1": {
		"Role": {"removed": 22, "use": "rbac.authorization.k8s.io/v1 Role"},
		"ClusterRole": {"removed": 22, "use": "rbac.authorization.k8s.io/v1 ClusterRole"},
		"RoleBinding": {"removed": 22, "use": "rbac.authorization.k8s.io/v1 RoleBinding"},
		"ClusterRoleBinding": {"removed": 22, "use": "rbac.authorization.k8s.io/v1 ClusterRoleBinding"},
	},
	"rbac.authorization.k8s.io/v1alpha1": {
		"Role": {"removed": 22, "use": "rbac.authorization.k8s.io/v1 Role"},
		"ClusterRole": {"removed": 22, "use": "rbac.authorization.k8s.io/v1 ClusterRole"},
		"RoleBinding": {"removed": 22, "use": "rbac.authorization.k8s.io/v1 RoleBinding"},
		"ClusterRoleBinding": {"removed": 22, "use": "rbac.authorization.k8s.io/v1 ClusterRoleBinding"},
	},
	"apiextensions.k8s.io/v1beta1": {"CustomResourceDefinition": {"removed": 22, "use": "apiextensions.k8s.io/v1 CustomResourceDefinition"}},
	"admissionregistration.k8s.io/v1beta1": {
		"MutatingWebhookConfiguration": {"removed": 22, "use": "admissionregistration.k8s.io/v1 MutatingWebhookConfiguration"},
		"ValidatingWebhookConfiguration": {"removed": 22, "use": "admissionregistration.k8s.io/v1 ValidatingWebhookConfiguration"},
	},
	"apiregistration.k8s.io/v1beta1": {"APIService": {"removed": 22, "use": "apiregistration.k8s.io/v1 APIService"}},
	"certificates.k8s.io/v1beta1": {"CertificateSigningRequest": {"removed": 22, "use": "certificates.k8s.io/v1 CertificateSigningRequest"}},
	"coordination.k8s.io/v1beta1": {"Lease": {"removed": 22, "use": "coordination.k8s.io/v1 Lease"}},
	"scheduling.k8s.io/v1beta1": {"PriorityClass": {"removed": 22, "use": "scheduling.k8s.io/v1 PriorityClass"}},
	"authentication.k8s.io/v1beta1": {"TokenReview": {"removed": 22, "use": "authentication.k8s.io/v1 TokenReview"}},
	"authorization.k8s.io/v1beta1": {
		"SubjectAccessReview": {"removed": 22, "use": "authorization.k8s.io/v1 SubjectAccessReview"},
		"LocalSubjectAccessReview": {"removed": 22, "use": "authorization.k8s.io/v1 LocalSubjectAccessReview"},
		"SelfSubjectAccessReview": {"removed": 22, "use": "authorization.k8s.io/v1 SelfSubjectAccessReview"},
	},
}

# apiVersion -> kind -> {ga: first minor that serves it by default, use: what to do instead}.
# Only the GA versions that arrived after the oldest minor we have ever supported matter here.
introduced_apis := {
	"networking.k8s.io/v1": {
		"ServiceCIDR": {"ga": 33, "use": "drop it until every cluster of the matrix runs 1.33 or later"},
		"IPAddress": {"ga": 33, "use": "drop it until every cluster of the matrix runs 1.33 or later"},
	},
	"resource.k8s.io/v1": {
		"DeviceClass": {"ga": 34, "use": "drop it (or use a device plugin) until every cluster of the matrix runs 1.34 or later"},
		"ResourceClaim": {"ga": 34, "use": "drop it (or use a device plugin) until every cluster of the matrix runs 1.34 or later"},
		"ResourceClaimTemplate": {"ga": 34, "use": "drop it (or use a device plugin) until every cluster of the matrix runs 1.34 or later"},
		"ResourceSlice": {"ga": 34, "use": "drop it (or use a device plugin) until every cluster of the matrix runs 1.34 or later"},
	},
	"storage.k8s.io/v1": {"VolumeAttributesClass": {"ga": 34, "use": "drop it until every cluster of the matrix runs 1.34 or later"}},
}
