// Command images writes container images as one docker-archive tarball for `ctr images import`, offline,
// with go-containerregistry: each image is a single layer of the given files on an empty base, with an
// entrypoint, a user and an environment. Layers and configs carry no timestamps, so the same inputs give
// the same image digests.
//
// Usage: images -spec SPEC.json -out IMAGES.tar
//
// SPEC.json: {"images": [{"refs": ["name:tag", ...], "files": [{"src": "path" | "content": "text",
// "dst": "path/in/image", "mode": 493}], "entrypoint": ["/bin"], "user": "10001", "env": ["K=V"]}]}
package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

type file struct {
	Src     string `json:"src,omitempty"`
	Content string `json:"content,omitempty"`
	Dst     string `json:"dst"`
	Mode    int64  `json:"mode"`
}

type image struct {
	Refs       []string `json:"refs"`
	Files      []file   `json:"files"`
	Entrypoint []string `json:"entrypoint"`
	User       string   `json:"user"`
	Env        []string `json:"env"`
}

type spec struct {
	Images []image `json:"images"`
}

// layer is a tar of the files and their parent directories, sorted, owned by root, dated at the epoch.
func layer(files []file) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Unix(0, 0)
	dirs := map[string]bool{}
	sorted := append([]file(nil), files...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Dst < sorted[j].Dst })
	for _, f := range sorted {
		dst := strings.TrimPrefix(path.Clean("/"+f.Dst), "/")
		parts := strings.Split(dst, "/")
		for i := 1; i < len(parts); i++ {
			dir := strings.Join(parts[:i], "/") + "/"
			if dirs[dir] {
				continue
			}
			dirs[dir] = true
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir, Mode: 0o755, ModTime: epoch, Format: tar.FormatPAX}); err != nil {
				return nil, err
			}
		}
		content := []byte(f.Content)
		if f.Src != "" {
			var err error
			if content, err = os.ReadFile(f.Src); err != nil {
				return nil, err
			}
		}
		mode := f.Mode
		if mode == 0 {
			mode = 0o644
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: dst, Mode: mode, Size: int64(len(content)), ModTime: epoch, Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(content); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func build(im image) (v1.Image, error) {
	raw, err := layer(im.Files)
	if err != nil {
		return nil, err
	}
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(raw)), nil })
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(empty.Image, l)
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS = "linux"
	cfg.Architecture = runtime.GOARCH
	cfg.Config.Entrypoint = im.Entrypoint
	cfg.Config.User = im.User
	cfg.Config.Env = im.Env
	return mutate.ConfigFile(img, cfg)
}

func run(specPath, out string) error {
	raw, err := os.ReadFile(specPath)
	if err != nil {
		return err
	}
	var s spec
	if err := json.Unmarshal(raw, &s); err != nil {
		return fmt.Errorf("%s: %v", specPath, err)
	}
	refs := map[name.Reference]v1.Image{}
	for i, im := range s.Images {
		if len(im.Refs) == 0 || len(im.Entrypoint) == 0 {
			return fmt.Errorf("%s: images[%d] needs refs and an entrypoint", specPath, i)
		}
		img, err := build(im)
		if err != nil {
			return fmt.Errorf("%s: images[%d]: %v", specPath, i, err)
		}
		for _, r := range im.Refs {
			ref, err := name.NewTag(r)
			if err != nil {
				return fmt.Errorf("%s: images[%d]: %q: %v", specPath, i, r, err)
			}
			refs[ref] = img
		}
	}
	tmp := out + ".partial"
	if err := tarball.MultiRefWriteToFile(tmp, refs); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, out)
}

func main() {
	specPath := flag.String("spec", "", "JSON list of images to write")
	out := flag.String("out", "", "docker-archive tarball to write")
	flag.Parse()
	if *specPath == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: images -spec SPEC.json -out IMAGES.tar")
		os.Exit(2)
	}
	if err := run(*specPath, *out); err != nil {
		fmt.Fprintf(os.Stderr, "images: %v\n", err)
		os.Exit(1)
	}
}
