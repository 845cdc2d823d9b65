# Helpers shared by every policy package. Policies are evaluated once per object (conftest test
# evaluates each document of a YAML stream separately), so `input` is one Kubernetes object.
package neurascale.lib

# finding builds the violation every rule emits. Besides msg, rule and field it carries the identity
# of the object under evaluation, because conftest reports the results of a multi-document stream
# read from stdin without saying which document they came from. Every rule must build its
# violations with this function; packages/validation/src/conftest.ts refuses results without it.
finding(rule, field, msg) := {"msg": msg, "rule": rule, "field": field, "object": identity}

identity := object.union(_generate_name, {key: value |
	some key, path in _identity_paths
	value := object.get(_input_object, path, null)
	_non_empty_string(value)
})

_identity_paths := {
	"apiVersion": ["apiVersion"],
	"kind": ["kind"],
	"namespace": ["metadata", "namespace"],
	"name": ["metadata", "name"],
}

# An object created with generateName is known by its prefix.
_generate_name := {"name": prefix} if {
	not _non_empty_string(object.get(_input_object, ["metadata", "name"], null))
	prefix := object.get(_input_object, ["metadata", "generateName"], null)
	_non_empty_string(prefix)
} else := {}

_non_empty_string(value) if {
	is_string(value)
	value != ""
}

_input_object := input if is_object(input)

_input_object := {} if not is_object(input)

# param is a rule's tunable threshold from the rule catalogue (policies/rules.json, "params"), which the
# validator hands to conftest as data. A rule cannot fire without it; the fixture tests run with that
# data, and a test checks that every parameter named here is catalogued.
param(rule, name) := data.params[rule][name]

# Where the pod spec sits in each pod-bearing kind.
pod_spec_paths := {
	"Pod": ["spec"],
	"Deployment": ["spec", "template", "spec"],
	"StatefulSet": ["spec", "template", "spec"],
	"DaemonSet": ["spec", "template", "spec"],
	"ReplicaSet": ["spec", "template", "spec"],
	"ReplicationController": ["spec", "template", "spec"],
	"Job": ["spec", "template", "spec"],
	"CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
}

pod_spec_path := pod_spec_paths[input.kind]

pod_spec := spec if {
	spec := object.get(input, pod_spec_path, null)
	is_object(spec)
}

pod_spec_field := concat(".", pod_spec_path)

# containers holds [field, container] for every container of the pod spec: init containers,
# app containers and ephemeral containers.
containers contains [field, container] if {
	some group in ["initContainers", "containers", "ephemeralContainers"]
	some i, container in object.get(pod_spec, group, [])
	is_object(container)
	field := sprintf("%s.%s[%d]", [pod_spec_field, group, i])
}

# running_containers: containers that run alongside the app and may carry resources and probes
# (app containers and init containers; ephemeral containers can have neither).
running_containers contains [field, container] if {
	some group in ["initContainers", "containers"]
	some i, container in object.get(pod_spec, group, [])
	is_object(container)
	field := sprintf("%s.%s[%d]", [pod_spec_field, group, i])
}

# Long-running containers: app containers and restartable init containers (sidecars).
long_running_containers contains [field, container] if {
	some [field, container] in running_containers
	_long_running(field, container)
}

_long_running(field, _) if contains(field, ".containers[")

_long_running(_, container) if container.restartPolicy == "Always"

container_name(container) := name if {
	name := container.name
	is_string(name)
} else := "<unnamed>"

# path_to_field renders a walk() path (strings and array indexes) as a dotted field path with [i]
# indexes, e.g. ["spec", "containers", 0, "image"] -> spec.containers[0].image.
path_to_field(path) := concat("", [_segment(i, part) | some i, part in path])

_segment(_, part) := sprintf("[%d]", [part]) if is_number(part)

_segment(i, part) := part if {
	is_string(part)
	i == 0
}

_segment(i, part) := sprintf(".%s", [part]) if {
	is_string(part)
	i > 0
}
