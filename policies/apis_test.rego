package neurascale.apis

rules(obj) := r if {
	r := {v.rule | some v in violation} with input as obj
}

test_removed_api_fails if {
	obj := {"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy", "metadata": {"name": "restricted"}}
	[v] := [v | some v in violation] with input as obj
	v.rule == "api-removed"
	v.field == "apiVersion"
	contains(v.msg, "1.25")
	contains(v.msg, "Pod Security Admission")
}

test_removed_apis_named_in_the_brief_fail if {
	every pair in [
		["extensions/v1beta1", "Ingress"],
		["networking.k8s.io/v1beta1", "Ingress"],
		["batch/v1beta1", "CronJob"],
		["autoscaling/v2beta1", "HorizontalPodAutoscaler"],
		["autoscaling/v2beta2", "HorizontalPodAutoscaler"],
		["policy/v1beta1", "PodDisruptionBudget"],
		["flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema"],
		["storage.k8s.io/v1beta1", "CSIStorageCapacity"],
		["rbac.authorization.k8s.io/v1beta1", "ClusterRole"],
		["apiextensions.k8s.io/v1beta1", "CustomResourceDefinition"],
		["admissionregistration.k8s.io/v1beta1", "ValidatingWebhookConfiguration"],
	] {
		rules({"apiVersion": pair[0], "kind": pair[1], "metadata": {"name": "x"}}) == {"api-removed"}
	}
}

test_message_names_replacement if {
	[v] := [v | some v in violation] with input as {"apiVersion": "batch/v1beta1", "kind": "CronJob"}
	contains(v.msg, "use batch/v1 CronJob")
}

test_api_newer_than_oldest_version_fails if {
	[v] := [v | some v in violation] with input as {"apiVersion": "resource.k8s.io/v1", "kind": "ResourceClaim"}
	v.rule == "api-removed"
	contains(v.msg, "1.34")
	contains(v.msg, "1.32")
}

test_removal_after_the_newest_version_passes if {
	count(violation) == 0 with input as {"apiVersion": "example.k8s.io/v1beta1", "kind": "Thing"}
		with removed_apis as {"example.k8s.io/v1beta1": {"Thing": {"removed": 38, "use": "example.k8s.io/v1 Thing"}}}
}

test_ga_in_oldest_version_passes if {
	count(violation) == 0 with input as {"apiVersion": "example.k8s.io/v1", "kind": "Thing"}
		with introduced_apis as {"example.k8s.io/v1": {"Thing": {"ga": 32, "use": "-"}}}
}

test_served_apis_pass if {
	every pair in [
		["apps/v1", "Deployment"],
		["batch/v1", "CronJob"],
		["autoscaling/v2", "HorizontalPodAutoscaler"],
		["policy/v1", "PodDisruptionBudget"],
		["networking.k8s.io/v1", "Ingress"],
		["networking.k8s.io/v1", "NetworkPolicy"],
		["external-secrets.io/v1", "ExternalSecret"],
		["v1", "Service"],
	] {
		count(violation) == 0 with input as {"apiVersion": pair[0], "kind": pair[1], "metadata": {"name": "x"}}
	}
}
