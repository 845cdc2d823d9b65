# api-removed: an apiVersion/kind that some Kubernetes version of our matrix does not serve, because
# it was removed in or before the newest version, or became GA only after the oldest one.
# The tables are data in policies/apis_table.rego.
package neurascale.apis

import data.neurascale.lib

violation contains lib.finding("api-removed", "apiVersion", msg) if {
	entry := removed_apis[input.apiVersion][input.kind]
	entry.removed <= matrix.newest
	msg := sprintf(
		"%s %s is not served since Kubernetes 1.%d (our matrix goes up to 1.%d); use %s",
		[input.apiVersion, input.kind, entry.removed, matrix.newest, entry.use],
	)
}

violation contains lib.finding("api-removed", "apiVersion", msg) if {
	entry := introduced_apis[input.apiVersion][input.kind]
	entry.ga > matrix.oldest
	msg := sprintf(
		"%s %s is GA only since Kubernetes 1.%d, so 1.%d (the oldest of our matrix) does not serve it; %s",
		[input.apiVersion, input.kind, entry.ga, matrix.oldest, entry.use],
	)
}
