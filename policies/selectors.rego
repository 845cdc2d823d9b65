# selector-template-mismatch: a controller's selector must select the pods of its own template,
# otherwise the API server rejects it (or, for a Job with manualSelector, it never sees its pods).
package neurascale.selectors

import data.neurascale.lib

selector_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}

selector := s if {
	input.kind in selector_kinds
	s := input.spec.selector
	is_object(s)
}

template_labels := object.get(input, ["spec", "template", "metadata", "labels"], {})

violation contains lib.finding("selector-template-mismatch", sprintf("spec.selector.matchLabels.%s", [key]), msg) if {
	some key, value in object.get(selector, "matchLabels", {})
	not template_labels[key] == value
	msg := sprintf(
		"%s selector requires label %s=%v, but the pod template has %s",
		[input.kind, key, value, describe_label(key)],
	)
}

violation contains lib.finding("selector-template-mismatch", sprintf("spec.selector.matchExpressions[%d]", [i]), msg) if {
	some i, expression in object.get(selector, "matchExpressions", [])
	not matches(expression)
	msg := sprintf(
		"%s selector expression %s %s %v does not match the pod template, which has %s",
		[input.kind, expression.key, expression.operator, object.get(expression, "values", []), describe_label(expression.key)],
	)
}

matches(expression) if {
	expression.operator == "In"
	label_in(expression.key, expression.values)
}

matches(expression) if {
	expression.operator == "NotIn"
	not label_in(expression.key, expression.values)
}

matches(expression) if {
	expression.operator == "Exists"
	template_labels[expression.key]
}

matches(expression) if {
	expression.operator == "DoesNotExist"
	not template_labels[expression.key]
}

label_in(key, values) if template_labels[key] in values

describe_label(key) := sprintf("%s=%v", [key, template_labels[key]])

describe_label(key) := sprintf("no label %s", [key]) if not template_labels[key]
