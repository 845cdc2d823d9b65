# template-marker: a string containing {{ ... }} is an unrendered Helm/Go template, except in the
# few fields whose controllers expand templates themselves (Prometheus alert annotations, Flagger queries,
# Grafana legends, Argo CD ApplicationSet templates).
package neurascale.templates

import data.neurascale.lib

violation contains lib.finding("template-marker", field, msg) if {
	walk(input, [path, value])
	is_string(value)
	regex.match(`(?s)\{\{.*\}\}`, value)
	not allowed(input, path)
	field := lib.path_to_field(path)
	msg := sprintf("unrendered template marker in %s: %q", [field, excerpt(value)])
}

excerpt(value) := value if count(value) <= 80

excerpt(value) := sprintf("%s...", [substring(value, 0, 77)]) if count(value) > 80

group(obj) := split(obj.apiVersion, "/")[0]

# Prometheus Operator: alerting rule annotations and labels are Go templates ({{ $labels.pod }}).
allowed(obj, path) if {
	obj.kind == "PrometheusRule"
	group(obj) == "monitoring.coreos.com"
	["spec", "groups", _, "rules", _, section] = array.slice(path, 0, 6)
	section in {"annotations", "labels"}
}

# Flagger: a MetricTemplate query is a template ({{ namespace }}, {{ target }}, {{ interval }}).
allowed(obj, path) if {
	obj.kind == "MetricTemplate"
	group(obj) == "flagger.app"
	array.slice(path, 0, 2) == ["spec", "query"]
}

# Grafana: a panel target's legendFormat names series labels ({{service}}) that Grafana fills in. A
# dashboard's JSON in a ConfigMap may carry markers there and nowhere else.
allowed(obj, path) if {
	obj.kind == "ConfigMap"
	count(path) == 2
	path[0] == "data"
	text := obj.data[path[1]]
	json.is_valid(text)
	dashboard := json.unmarshal(text)
	is_array(dashboard.panels)
	not marker_outside_legend(dashboard)
}

marker_outside_legend(dashboard) if {
	walk(dashboard, [path, value])
	is_string(value)
	regex.match(`(?s)\{\{.*\}\}`, value)
	path[count(path) - 1] != "legendFormat"
}

# Argo CD ApplicationSet: the Application template (and its patch and per-generator overrides) is
# filled in from generator parameters ({{ .cluster }}, {{path.basename}}).
# A plain Application is not templated, so markers there stay errors.
allowed(obj, path) if {
	obj.kind == "ApplicationSet"
	group(obj) == "argoproj.io"
	path[0] == "spec"
	path[1] in {"template", "templatePatch"}
}

allowed(obj, path) if {
	obj.kind == "ApplicationSet"
	group(obj) == "argoproj.io"
	some i
	path[i] == "template"
	array.slice(path, 0, 2) == ["spec", "generators"]
	i > 3
}
