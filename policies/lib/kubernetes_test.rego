package neurascale.lib

test_identity_from_object if {
	obj := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "namespace": "neural-engine"}}
	identity == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api", "namespace": "neural-engine"} with input as obj
}

test_identity_skips_missing_fields if {
	identity == {"apiVersion": "v1", "kind": "Namespace", "name": "neural-engine"} with input as {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "neural-engine"}}
	identity == {} with input as ["not", "an", "object"]
	identity == {"kind": "Job", "name": "migrate-"} with input as {"kind": "Job", "metadata": {"name": "", "generateName": "migrate-"}}
}

test_finding_carries_identity if {
	f := finding("r", "spec", "m") with input as {"kind": "Pod", "metadata": {"name": "p"}}
	f == {"msg": "m", "rule": "r", "field": "spec", "object": {"kind": "Pod", "name": "p"}}
}

test_containers_of_cronjob if {
	cron := {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {
		"initContainers": [{"name": "init"}],
		"containers": [{"name": "app"}],
		"ephemeralContainers": [{"name": "debug"}],
	}}}}}}
	fields := {field | some [field, _] in containers} with input as cron
	fields == {
		"spec.jobTemplate.spec.template.spec.initContainers[0]",
		"spec.jobTemplate.spec.template.spec.containers[0]",
		"spec.jobTemplate.spec.template.spec.ephemeralContainers[0]",
	}
	running := {field | some [field, _] in running_containers} with input as cron
	running == {"spec.jobTemplate.spec.template.spec.initContainers[0]", "spec.jobTemplate.spec.template.spec.containers[0]"}
}

test_long_running_includes_sidecars_only if {
	pod := {"kind": "Pod", "spec": {
		"initContainers": [{"name": "migrate"}, {"name": "proxy", "restartPolicy": "Always"}],
		"containers": [{"name": "app"}],
	}}
	fields := {field | some [field, _] in long_running_containers} with input as pod
	fields == {"spec.initContainers[1]", "spec.containers[0]"}
}

test_no_containers_for_other_kinds if {
	count(containers) == 0 with input as {"kind": "Service", "spec": {"containers": [{"name": "x"}]}}
}

test_path_to_field if {
	path_to_field(["spec", "containers", 0, "image"]) == "spec.containers[0].image"
	path_to_field(["data"]) == "data"
}
