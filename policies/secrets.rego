# secret-literal-data: secret values come from the secret store (ExternalSecret), never from Git.
package neurascale.secrets

import data.neurascale.lib

violation contains lib.finding("secret-literal-data", sprintf("%s.%s", [section, key]), msg) if {
	input.apiVersion == "v1"
	input.kind == "Secret"
	some section in ["data", "stringData"]
	some key, _ in object.get(input, section, {})
	msg := sprintf("Secret carries the value of key %q in %s; secret values must not be committed", [key, section])
}
