package neurascale.availability

pdb(spec) := {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "api"}, "spec": spec}

deployment(replicas, pod) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "api"},
	"spec": object.union({"template": {"spec": object.union({"containers": []}, pod)}}, replicas),
}

found(obj) := r if {
	r := {[v.rule, v.field] | some v in violation} with input as obj
}

test_pdb_allowing_evictions_passes if {
	count(found(pdb({"maxUnavailable": 1}))) == 0
	count(found(pdb({"maxUnavailable": "25%"}))) == 0
	count(found(pdb({"maxUnavailable": "10%"}))) == 0
	count(found(pdb({"minAvailable": 1}))) == 0
}

test_pdb_max_unavailable_zero_fails if {
	every value in [0, "0%", "0"] {
		found(pdb({"maxUnavailable": value})) == {["pdb-max-unavailable-zero", "spec.maxUnavailable"]}
	}
}

spread := {"topologySpreadConstraints": [{
	"maxSkew": 1,
	"topologyKey": "topology.kubernetes.io/zone",
	"whenUnsatisfiable": "ScheduleAnyway",
	"labelSelector": {"matchLabels": {"app": "api"}},
}]}

anti_affinity := {"affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": []}}}

test_spread_or_anti_affinity_passes if {
	count(found(deployment({"replicas": 3}, spread))) == 0
	count(found(deployment({"replicas": 3}, anti_affinity))) == 0
	count(found(deployment({}, spread))) == 0
}

test_single_replica_passes if {
	count(found(deployment({"replicas": 1}, {}))) == 0
	count(found(deployment({"replicas": 0}, {}))) == 0
}

test_replicas_without_spread_fail if {
	found(deployment({"replicas": 3}, {})) == {["spread-missing", "spec.template.spec.topologySpreadConstraints"]}
	found(deployment({}, {})) == {["spread-missing", "spec.template.spec.topologySpreadConstraints"]}
	found(deployment({"replicas": 2}, {"topologySpreadConstraints": [], "affinity": {"podAffinity": {}}})) == {["spread-missing", "spec.template.spec.topologySpreadConstraints"]}
}

test_statefulset_is_checked_daemonset_is_not if {
	sts := json.patch(deployment({"replicas": 3}, {}), [{"op": "replace", "path": "/kind", "value": "StatefulSet"}])
	found(sts) == {["spread-missing", "spec.template.spec.topologySpreadConstraints"]}
	ds := json.patch(deployment({}, {}), [{"op": "replace", "path": "/kind", "value": "DaemonSet"}])
	count(found(ds)) == 0
}
