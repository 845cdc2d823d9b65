package neurascale.secrets

secret(extra) := object.union({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "neural-engine"}, "type": "Opaque"}, extra)

found(obj) := r if {
	r := {[v.rule, v.field] | some v in violation} with input as obj
}

test_secret_without_values_passes if {
	count(found(secret({}))) == 0
	count(found(secret({"data": {}, "stringData": {}}))) == 0
}

test_secret_with_data_fails if {
	found(secret({"data": {"password": "aHVudGVyMg=="}})) == {["secret-literal-data", "data.password"]}
}

test_secret_with_string_data_fails if {
	found(secret({"stringData": {"username": "neura", "password": "hunter2"}})) == {
		["secret-literal-data", "stringData.username"],
		["secret-literal-data", "stringData.password"],
	}
}

test_message_does_not_leak_value if {
	[v] := [v | some v in violation] with input as secret({"stringData": {"password": "hunter2"}})
	not contains(v.msg, "hunter2")
	contains(v.msg, "password")
}

test_other_kinds_pass if {
	count(found({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"password": "x"}})) == 0
	count(found({"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret", "metadata": {"name": "db"}, "spec": {"data": [{"secretKey": "password"}]}})) == 0
}
