package neurascale.templates

found(obj) := r if {
	r := {[v.rule, v.field] | some v in violation} with input as obj
}

application(values_file) := {
	"apiVersion": "argoproj.io/v1alpha1",
	"kind": "Application",
	"metadata": {"name": "neural-engine", "namespace": "argocd"},
	"spec": {"source": {
		"repoURL": "https://github.com/neurascale/deploy",
		"path": "charts/neural-engine",
		"helm": {"valueFiles": ["values.yaml", values_file]},
	}},
}

test_rendered_application_passes if {
	count(found(application("values-production.yaml"))) == 0
}

test_application_with_template_fails if {
	found(application("values-{{ .Values.environment }}.yaml")) == {["template-marker", "spec.source.helm.valueFiles[1]"]}
}

test_template_in_configmap_and_multiline_fails if {
	cm := {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {
		"config.yaml": "env: prod\nregion: {{\n .Values.region\n}}\n",
		"plain": "braces { and } alone are fine",
		"open": "only {{ opening",
	}}
	found(cm) == {["template-marker", "data.config.yaml"]}
}

dashboard(legend, title) := {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "d"}, "data": {"d.json": json.marshal({
	"title": "Overview",
	"panels": [{"title": title, "targets": [{"expr": "sum by (service) (up)", "legendFormat": legend}]}],
})}}

test_grafana_legend_passes if {
	count(found(dashboard("{{service}}", "Targets"))) == 0
}

test_grafana_marker_outside_legend_fails if {
	found(dashboard("{{service}}", "Targets {{ .Values.env }}")) == {["template-marker", "data.d.json"]}
}

test_json_without_panels_is_not_a_dashboard if {
	cm := {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"x.json": "{\"legendFormat\": \"{{a}}\"}"}}
	found(cm) == {["template-marker", "data.x.json"]}
}

test_template_in_metadata_fails if {
	obj := {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "{{ .Release.Name }}-api"}}
	found(obj) == {["template-marker", "metadata.name"]}
}

test_prometheus_rule_annotations_and_labels_pass if {
	rule := {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule", "metadata": {"name": "r"}, "spec": {"groups": [{"name": "g", "rules": [{
		"alert": "PodDown",
		"expr": "up == 0",
		"labels": {"pod": "{{ $labels.pod }}"},
		"annotations": {"summary": "{{ $labels.pod }} is down"},
	}]}]}}
	count(found(rule)) == 0
}

test_prometheus_rule_template_elsewhere_fails if {
	rule := {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule", "metadata": {"name": "r"}, "spec": {"groups": [{"name": "g", "rules": [{
		"alert": "PodDown",
		"expr": "up{job=\"{{ .Values.job }}\"} == 0",
	}]}]}}
	found(rule) == {["template-marker", "spec.groups[0].rules[0].expr"]}
}

test_flagger_metric_template_query_passes if {
	mt := {"apiVersion": "flagger.app/v1beta1", "kind": "MetricTemplate", "metadata": {"name": "latency"}, "spec": {
		"provider": {"type": "prometheus", "address": "http://prometheus:9090"},
		"query": "histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{namespace=\"{{ namespace }}\"}[{{ interval }}])) by (le))",
	}}
	count(found(mt)) == 0
	found(json.patch(mt, [{"op": "replace", "path": "/spec/provider/address", "value": "{{ .Values.prom }}"}])) == {["template-marker", "spec.provider.address"]}
}

test_applicationset_template_passes if {
	appset := {"apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationSet", "metadata": {"name": "envs"}, "spec": {
		"generators": [{"list": {"elements": [{"env": "dev"}, {"env": "production"}]}}],
		"template": {
			"metadata": {"name": "neural-engine-{{ .env }}"},
			"spec": {"source": {"helm": {"valueFiles": ["values-{{ .env }}.yaml"]}}},
		},
	}}
	count(found(appset)) == 0
}

test_applicationset_outside_template_fails if {
	appset := {"apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationSet", "metadata": {"name": "{{ .Values.name }}"}, "spec": {"template": {}}}
	found(appset) == {["template-marker", "metadata.name"]}
}

test_exempt_kind_in_other_group_fails if {
	rule := {"apiVersion": "example.com/v1", "kind": "PrometheusRule", "metadata": {"name": "r"}, "spec": {"groups": [{"rules": [{"annotations": {"a": "{{ x }}"}}]}]}}
	found(rule) == {["template-marker", "spec.groups[0].rules[0].annotations.a"]}
}

test_applicationset_generator_template_and_patch_pass if {
	appset := {"apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationSet", "metadata": {"name": "clusters"}, "spec": {
		"goTemplate": true,
		"generators": [{"clusters": {"selector": {}, "template": {"metadata": {"name": "ne-{{ .name }}"}, "spec": {}}}}],
		"template": {"metadata": {"name": "ne-{{ .name }}"}, "spec": {}},
		"templatePatch": "spec:\n  source:\n    targetRevision: '{{ .values.revision }}'\n",
	}}
	count(found(appset)) == 0
}
