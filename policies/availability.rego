# pdb-max-unavailable-zero: a PodDisruptionBudget that never allows an eviction blocks node drains.
# spread-missing: replicas of one workload (at least the catalogued minReplicas, or an HPA-owned count)
# should not all land on one node or zone.
package neurascale.availability

import data.neurascale.lib

violation contains lib.finding("pdb-max-unavailable-zero", "spec.maxUnavailable", msg) if {
	input.kind == "PodDisruptionBudget"
	zero(input.spec.maxUnavailable)
	msg := sprintf("PodDisruptionBudget maxUnavailable is %v, so no pod can ever be evicted and node drains hang", [input.spec.maxUnavailable])
}

zero(v) if v == 0

zero(v) if {
	is_string(v)
	regex.match(`^0+%?$`, v)
}

spread_kinds := {"Deployment", "StatefulSet"}

violation contains lib.finding("spread-missing", "spec.template.spec.topologySpreadConstraints", msg) if {
	input.kind in spread_kinds
	replicas := object.get(input, ["spec", "replicas"], null)
	several(replicas)
	pod := object.get(input, ["spec", "template", "spec"], {})
	count(object.get(pod, "topologySpreadConstraints", [])) == 0
	not pod.affinity.podAntiAffinity
	msg := sprintf(
		"%s with %s has neither topologySpreadConstraints nor podAntiAffinity, so all replicas may share one node",
		[input.kind, describe_replicas(replicas)],
	)
}

# Unset replicas usually means a HorizontalPodAutoscaler owns the count, which may scale out.
several(null)

several(replicas) if {
	is_number(replicas)
	replicas >= lib.param("spread-missing", "minReplicas")
}

describe_replicas(null) := "replicas unset"

describe_replicas(replicas) := sprintf("%d replicas", [replicas]) if is_number(replicas)
