package neurascale.probes

deployment(container) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "api"},
	"spec": {"template": {"spec": {"containers": [container]}}},
}

found(obj) := r if {
	r := {[v.rule, v.field] | some v in violation} with input as obj
}

ports := [{"name": "http", "containerPort": 8080}, {"name": "grpc", "containerPort": 9090}]

test_probe_on_declared_port_passes if {
	count(found(deployment({
		"name": "api",
		"ports": ports,
		"livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}},
		"readinessProbe": {"tcpSocket": {"port": 8080}},
		"startupProbe": {"grpc": {"port": 9090}},
	}))) == 0
}

test_probe_on_undeclared_port_number_fails if {
	found(deployment({"name": "api", "ports": ports, "readinessProbe": {"httpGet": {"path": "/ready", "port": 8081}}})) == {["probe-port-not-exposed", "spec.template.spec.containers[0].readinessProbe.httpGet.port"]}
}

test_probe_on_undeclared_port_name_fails if {
	found(deployment({"name": "api", "ports": ports, "livenessProbe": {"tcpSocket": {"port": "metrics"}}})) == {["probe-port-not-exposed", "spec.template.spec.containers[0].livenessProbe.tcpSocket.port"]}
}

test_grpc_probe_without_ports_fails if {
	found(deployment({"name": "api", "startupProbe": {"grpc": {"port": 9090}}})) == {["probe-port-not-exposed", "spec.template.spec.containers[0].startupProbe.grpc.port"]}
}

test_port_name_does_not_match_number if {
	# "8080" as a string is a port name, and no port is named "8080".
	found(deployment({"name": "api", "ports": ports, "livenessProbe": {"httpGet": {"port": "8080"}}})) == {["probe-port-not-exposed", "spec.template.spec.containers[0].livenessProbe.httpGet.port"]}
}

test_exec_probe_passes if {
	count(found(deployment({"name": "api", "livenessProbe": {"exec": {"command": ["true"]}}}))) == 0
}

test_probe_message_names_container_and_port if {
	[v] := [v | some v in violation] with input as deployment({"name": "api", "ports": ports, "livenessProbe": {"httpGet": {"port": 8081}}})
	v.msg == `container "api": livenessProbe.httpGet targets port 8081, which is not a containerPort of the container`
}

test_slow_liveness_without_startup_probe_fails if {
	found(deployment({"name": "api", "ports": ports, "livenessProbe": {"httpGet": {"port": "http"}, "initialDelaySeconds": 120}})) == {["startup-probe-missing", "spec.template.spec.containers[0].livenessProbe.initialDelaySeconds"]}
}

test_slow_liveness_with_startup_probe_passes if {
	count(found(deployment({
		"name": "api",
		"ports": ports,
		"livenessProbe": {"httpGet": {"port": "http"}, "initialDelaySeconds": 120},
		"startupProbe": {"httpGet": {"port": "http"}, "failureThreshold": 30},
	}))) == 0
}

test_short_liveness_delay_passes if {
	count(found(deployment({"name": "api", "ports": ports, "livenessProbe": {"httpGet": {"port": "http"}, "initialDelaySeconds": 30}}))) == 0
	count(found(deployment({"name": "api", "ports": ports, "livenessProbe": {"httpGet": {"port": "http"}}}))) == 0
}

test_sidecar_init_container_is_checked if {
	pod := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {
		"initContainers": [{"name": "proxy", "restartPolicy": "Always", "livenessProbe": {"tcpSocket": {"port": 15000}, "initialDelaySeconds": 60}}],
		"containers": [{"name": "app"}],
	}}
	found(pod) == {
		["probe-port-not-exposed", "spec.initContainers[0].livenessProbe.tcpSocket.port"],
		["startup-probe-missing", "spec.initContainers[0].livenessProbe.initialDelaySeconds"],
	}
}
