# image-tag-missing, image-tag-latest: every container image of every pod-bearing kind names a fixed
# version, either a digest (@sha256:...) or a tag other than "latest".
package neurascale.images

import data.neurascale.lib

violation contains lib.finding("image-tag-missing", sprintf("%s.image", [field]), msg) if {
	some [field, container] in lib.containers
	image := container.image
	is_string(image)
	not pinned_by_digest(image)
	not tag(image)
	msg := sprintf("container %q: image %q has neither a tag nor a digest, so it resolves to :latest", [lib.container_name(container), image])
}

violation contains lib.finding("image-tag-latest", sprintf("%s.image", [field]), msg) if {
	some [field, container] in lib.containers
	image := container.image
	is_string(image)
	not pinned_by_digest(image)
	tag(image) == "latest"
	msg := sprintf("container %q: image %q uses the mutable tag latest", [lib.container_name(container), image])
}

pinned_by_digest(image) if regex.match(`@sha256:[0-9a-f]{64}$`, image)

# The tag is what follows the last ":" of the last path segment of the name (the part before any
# "@digest"); a ":" before the last "/" is a registry port (registry:5000/app has no tag).
tag(image) := t if {
	name := split(image, "@")[0]
	segments := split(name, "/")
	last := segments[count(segments) - 1]
	parts := split(last, ":")
	count(parts) == 2
	t := parts[1]
	t != ""
}
