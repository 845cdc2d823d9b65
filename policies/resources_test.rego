package neurascale.resources

statefulset(container) := {
	"apiVersion": "apps/v1",
	"kind": "StatefulSet",
	"metadata": {"name": "db"},
	"spec": {"template": {"spec": {"containers": [container]}}},
}

found(obj) := r if {
	r := {[v.rule, v.field] | some v in violation} with input as obj
}

test_requests_and_limit_pass if {
	count(found(statefulset({"name": "db", "resources": {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"memory": "512Mi"}}}))) == 0
	count(found(statefulset({"name": "db", "resources": {"requests": {"cpu": 1, "memory": "1Gi"}, "limits": {"memory": "1Gi"}}}))) == 0
}

test_missing_cpu_request_fails if {
	found(statefulset({"name": "db", "resources": {"requests": {"memory": "512Mi"}, "limits": {"memory": "512Mi"}}})) == {["container-requests-missing", "spec.template.spec.containers[0].resources.requests.cpu"]}
}

test_no_resources_fails_every_check if {
	found(statefulset({"name": "db"})) == {
		["container-requests-missing", "spec.template.spec.containers[0].resources.requests.cpu"],
		["container-requests-missing", "spec.template.spec.containers[0].resources.requests.memory"],
		["container-memory-limit-missing", "spec.template.spec.containers[0].resources.limits.memory"],
	}
}

test_missing_memory_limit_fails if {
	found(statefulset({"name": "db", "resources": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "2"}}})) == {["container-memory-limit-missing", "spec.template.spec.containers[0].resources.limits.memory"]}
}

test_init_containers_are_checked if {
	job := {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "migrate"}, "spec": {"template": {"spec": {
		"initContainers": [{"name": "wait", "resources": {"requests": {"cpu": "10m"}, "limits": {"memory": "16Mi"}}}],
		"containers": [{"name": "migrate", "resources": {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"memory": "64Mi"}}}],
	}}}}
	found(job) == {["container-requests-missing", "spec.template.spec.initContainers[0].resources.requests.memory"]}
}

test_message_names_container_and_resource if {
	msgs := {v.msg | some v in violation} with input as statefulset({"name": "db", "resources": {"requests": {"cpu": "1"}, "limits": {"memory": "1Gi"}}})
	msgs == {`container "db" has no memory request`}
}
