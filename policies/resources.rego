# container-requests-missing, container-memory-limit-missing: the scheduler needs cpu and memory
# requests to place a pod, and a memory limit keeps one container from taking a node's memory.
package neurascale.resources

import data.neurascale.lib

violation contains lib.finding("container-requests-missing", sprintf("%s.resources.requests.%s", [field, resource]), msg) if {
	some [field, container] in lib.running_containers
	some resource in ["cpu", "memory"]
	not has_value(object.get(container, ["resources", "requests", resource], null))
	msg := sprintf("container %q has no %s request", [lib.container_name(container), resource])
}

violation contains lib.finding("container-memory-limit-missing", sprintf("%s.resources.limits.memory", [field]), msg) if {
	some [field, container] in lib.running_containers
	not has_value(object.get(container, ["resources", "limits", "memory"], null))
	msg := sprintf("container %q has no memory limit", [lib.container_name(container)])
}

has_value(v) if is_number(v)

has_value(v) if {
	is_string(v)
	v != ""
}
