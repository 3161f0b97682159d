package incus

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	incus "github.com/lxc/incus/v7/client"
	"github.com/lxc/incus/v7/shared/api"
)

// Remote is an image server the incus CLI knows by name, spoken to over
// simplestreams like every default remote.
type Remote struct {
	Name string
	URL  string
}

// KnownRemotes are the image remotes every incus CLI has by default; `local`
// is the daemon itself.
var KnownRemotes = map[string]Remote{
	"images": {Name: "images", URL: "https://images.linuxcontainers.org"},
}

// ImageRef is an image as users write it: `alias`, `fingerprint`,
// `local:alias` or `remote:alias` (e.g. `images:ubuntu/22.04`).
type ImageRef struct {
	Remote string // "" or "local" for the daemon's own images
	Name   string // alias or fingerprint (prefix)
}

func (r ImageRef) String() string {
	if r.Remote == "" {
		return r.Name
	}
	return r.Remote + ":" + r.Name
}

// IsLocal reports an image held by the daemon itself.
func (r ImageRef) IsLocal() bool { return r.Remote == "" || r.Remote == "local" }

// ParseImageRef splits `remote:alias`. Only names of known remotes count as
// a remote prefix, so a local alias may itself contain a colon-free path.
func ParseImageRef(s string) (ImageRef, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return ImageRef{}, fmt.Errorf("image is empty")
	}
	remote, name, found := strings.Cut(s, ":")
	if !found {
		return ImageRef{Name: s}, nil
	}
	if name == "" {
		return ImageRef{}, fmt.Errorf("image %q names remote %q but no alias after the colon", s, remote)
	}
	if _, ok := KnownRemotes[remote]; !ok && remote != "local" {
		return ImageRef{}, fmt.Errorf("image %q uses remote %q, which is not known (known remotes: %s)", s, remote, strings.Join(remoteNames(), ", "))
	}
	return ImageRef{Remote: remote, Name: name}, nil
}

func remoteNames() []string {
	names := []string{"local"}
	for n := range KnownRemotes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Image is a resolved image, ready to create an instance from.
type Image struct {
	Ref         ImageRef
	Fingerprint string
	info        *api.Image
	server      incus.ImageServer // nil for the daemon's own images
}

// ResolveImage finds the image a container would be created from. Local
// images are looked up in the project (which may share the default
// project's images); remote ones on their image server, bounded by ctx.
func (c *Client) ResolveImage(ctx context.Context, project string, ref ImageRef) (*Image, error) {
	if ref.IsLocal() {
		return c.resolveLocal(project, ref)
	}
	// The lookup is a few small requests: a server that has not answered
	// in this time is unreachable, and the rest of the task's time is kept.
	ctx, cancel := context.WithTimeout(ctx, remoteLookupTimeout)
	defer cancel()
	return resolveRemote(ctx, ref, KnownRemotes[ref.Remote])
}

const remoteLookupTimeout = 30 * time.Second

func (c *Client) resolveLocal(project string, ref ImageRef) (*Image, error) {
	srv := c.in(project)
	alias, _, err := srv.GetImageAliasType(string(api.InstanceTypeContainer), ref.Name)
	if err == nil {
		return &Image{Ref: ref, Fingerprint: alias.Target}, nil
	}
	if !isNotFound(err) {
		return nil, fmt.Errorf("look up image alias %q in project %q: %w", ref.Name, project, err)
	}
	img, _, err := srv.GetImage(ref.Name)
	if err == nil {
		return &Image{Ref: ref, Fingerprint: img.Fingerprint}, nil
	}
	if !isNotFound(err) {
		return nil, fmt.Errorf("look up image %q in project %q: %w", ref.Name, project, err)
	}
	names, _ := srv.GetImageAliasNames()
	sort.Strings(names)
	known := "none"
	if len(names) > 0 {
		known = strings.Join(names, ", ")
	}
	return nil, fmt.Errorf("image %q not found in project %q: no such alias or fingerprint (container image aliases there: %s)", ref.Name, project, known)
}

func resolveRemote(ctx context.Context, ref ImageRef, remote Remote) (*Image, error) {
	type result struct {
		img *Image
		err error
	}
	done := make(chan result, 1)
	// The simplestreams client takes no context: bound it from here.
	go func() {
		srv, err := incus.ConnectSimpleStreams(remote.URL, &incus.ConnectionArgs{})
		if err != nil {
			done <- result{err: err}
			return
		}
		alias, _, err := srv.GetImageAliasType(string(api.InstanceTypeContainer), ref.Name)
		if err != nil {
			done <- result{err: fmt.Errorf("alias %q: %w", ref.Name, err)}
			return
		}
		info, _, err := srv.GetImage(alias.Target)
		if err != nil {
			done <- result{err: err}
			return
		}
		done <- result{img: &Image{Ref: ref, Fingerprint: info.Fingerprint, info: info, server: srv}}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, fmt.Errorf("image %s from remote %q (%s): %w", ref, remote.Name, remote.URL, r.err)
		}
		return r.img, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("image %s from remote %q (%s): server did not answer: %w", ref, remote.Name, remote.URL, ctx.Err())
	}
}
