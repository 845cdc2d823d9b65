# probe-port-not-exposed: a probe must target a port the container declares (by number or name).
# startup-probe-missing: a slow starter (liveness initialDelaySeconds above the catalogued
# maxLivenessInitialDelaySeconds) should have a startup probe instead of a long fixed delay.
package neurascale.probes

import data.neurascale.lib

probe_kinds := ["livenessProbe", "readinessProbe", "startupProbe"]

handlers := ["httpGet", "tcpSocket", "grpc"]

violation contains lib.finding("probe-port-not-exposed", sprintf("%s.%s.%s.port", [field, probe, handler]), msg) if {
	some [field, container] in lib.running_containers
	some probe in probe_kinds
	some handler in handlers
	port := container[probe][handler].port
	not exposed(container, port)
	msg := sprintf(
		"container %q: %s.%s targets port %v, which is not a %s of the container",
		[lib.container_name(container), probe, handler, port, port_kind(port)],
	)
}

exposed(container, port) if {
	is_number(port)
	some p in object.get(container, "ports", [])
	p.containerPort == port
}

exposed(container, port) if {
	is_string(port)
	some p in object.get(container, "ports", [])
	p.name == port
}

port_kind(port) := "containerPort" if is_number(port)

port_kind(port) := "port name" if not is_number(port)

violation contains lib.finding("startup-probe-missing", sprintf("%s.livenessProbe.initialDelaySeconds", [field]), msg) if {
	some [field, container] in lib.long_running_containers
	delay := container.livenessProbe.initialDelaySeconds
	is_number(delay)
	delay > lib.param("startup-probe-missing", "maxLivenessInitialDelaySeconds")
	not container.startupProbe
	msg := sprintf(
		"container %q waits %ds before its liveness probe but has no startup probe",
		[lib.container_name(container), delay],
	)
}
