package neurascale.images

deployment(containers) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "api", "namespace": "neural-engine"},
	"spec": {"template": {"spec": {"containers": containers}}},
}

found(obj) := r if {
	r := {[v.rule, v.field] | some v in violation} with input as obj
}

test_pinned_images_pass if {
	every image in [
		"ghcr.io/neurascale/api:1.4.2",
		"registry:5000/neurascale/api:1.4.2",
		"ghcr.io/neurascale/api@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"ghcr.io/neurascale/api:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	] {
		count(found(deployment([{"name": "api", "image": image}]))) == 0
	}
}

test_missing_tag_fails if {
	found(deployment([{"name": "api", "image": "ghcr.io/neurascale/api"}])) == {["image-tag-missing", "spec.template.spec.containers[0].image"]}
}

test_registry_port_is_not_a_tag if {
	found(deployment([{"name": "api", "image": "registry:5000/app"}])) == {["image-tag-missing", "spec.template.spec.containers[0].image"]}
}

test_empty_tag_is_missing if {
	found(deployment([{"name": "api", "image": "app:"}])) == {["image-tag-missing", "spec.template.spec.containers[0].image"]}
}

test_malformed_digest_is_not_a_pin if {
	found(deployment([{"name": "api", "image": "app@sha256:0123"}])) == {["image-tag-missing", "spec.template.spec.containers[0].image"]}
	found(deployment([{"name": "api", "image": "app:latest@sha256:0123"}])) == {["image-tag-latest", "spec.template.spec.containers[0].image"]}
	count(found(deployment([{"name": "api", "image": "app:1.0@sha256:0123"}]))) == 0
}

test_latest_fails if {
	found(deployment([{"name": "ok", "image": "a:1"}, {"name": "api", "image": "registry:5000/app:latest"}])) == {["image-tag-latest", "spec.template.spec.containers[1].image"]}
}

test_init_and_ephemeral_containers_are_checked if {
	pod := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {
		"initContainers": [{"name": "init", "image": "busybox"}],
		"containers": [{"name": "app", "image": "app:1"}],
		"ephemeralContainers": [{"name": "debug", "image": "busybox:latest"}],
	}}
	found(pod) == {["image-tag-missing", "spec.initContainers[0].image"], ["image-tag-latest", "spec.ephemeralContainers[0].image"]}
}

test_cronjob_template_is_checked if {
	cron := {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "c"}]}}}}}}
	found(cron) == {["image-tag-missing", "spec.jobTemplate.spec.template.spec.containers[0].image"]}
}

test_message_names_container if {
	[v] := [v | some v in violation] with input as deployment([{"name": "api", "image": "api:latest"}])
	contains(v.msg, `"api"`)
	v.object == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api", "namespace": "neural-engine"}
}

test_non_pod_kinds_are_ignored if {
	count(violation) == 0 with input as {"apiVersion": "v1", "kind": "ConfigMap", "data": {"image": "app"}}
}
