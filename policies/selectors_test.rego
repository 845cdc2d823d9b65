package neurascale.selectors

workload(kind, selector, labels) := {
	"apiVersion": "apps/v1",
	"kind": kind,
	"metadata": {"name": "api"},
	"spec": {"selector": selector, "template": {"metadata": {"labels": labels}, "spec": {"containers": []}}},
}

found(obj) := r if {
	r := {[v.rule, v.field] | some v in violation} with input as obj
}

labels := {"app.kubernetes.io/name": "api", "app.kubernetes.io/instance": "neural-engine", "tier": "backend"}

test_matching_selector_passes if {
	every kind in ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"] {
		count(found(workload(kind, {"matchLabels": {"app.kubernetes.io/name": "api"}}, labels))) == 0
	}
}

test_matching_expressions_pass if {
	count(found(workload(
		"Deployment", {"matchExpressions": [
			{"key": "tier", "operator": "In", "values": ["backend", "worker"]},
			{"key": "tier", "operator": "NotIn", "values": ["frontend"]},
			{"key": "canary", "operator": "NotIn", "values": ["true"]},
			{"key": "app.kubernetes.io/name", "operator": "Exists"},
			{"key": "canary", "operator": "DoesNotExist"},
		]},
		labels,
	))) == 0
}

test_wrong_label_value_fails if {
	found(workload("Deployment", {"matchLabels": {"app.kubernetes.io/name": "api-server"}}, labels)) == {["selector-template-mismatch", "spec.selector.matchLabels.app.kubernetes.io/name"]}
}

test_missing_label_fails if {
	found(workload("StatefulSet", {"matchLabels": {"app": "api"}}, labels)) == {["selector-template-mismatch", "spec.selector.matchLabels.app"]}
}

test_template_without_labels_fails if {
	obj := json.remove(workload("DaemonSet", {"matchLabels": {"app": "api"}}, {}), ["spec/template/metadata"])
	found(obj) == {["selector-template-mismatch", "spec.selector.matchLabels.app"]}
}

test_failing_expressions_fail if {
	found(workload(
		"ReplicaSet", {"matchExpressions": [
			{"key": "tier", "operator": "In", "values": ["frontend"]},
			{"key": "tier", "operator": "NotIn", "values": ["backend"]},
			{"key": "canary", "operator": "Exists"},
			{"key": "tier", "operator": "DoesNotExist"},
			{"key": "tier", "operator": "In", "values": ["backend"]},
		]},
		labels,
	)) == {
		["selector-template-mismatch", "spec.selector.matchExpressions[0]"],
		["selector-template-mismatch", "spec.selector.matchExpressions[1]"],
		["selector-template-mismatch", "spec.selector.matchExpressions[2]"],
		["selector-template-mismatch", "spec.selector.matchExpressions[3]"],
	}
}

test_job_without_selector_passes if {
	job := {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"}, "spec": {"template": {"metadata": {"labels": labels}}}}
	count(found(job)) == 0
}

test_message_names_label if {
	[v] := [v | some v in violation] with input as workload("Deployment", {"matchLabels": {"app": "api"}}, labels)
	v.msg == "Deployment selector requires label app=api, but the pod template has no label app"
}
