package incus

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestParseImageRef(t *testing.T) {
	cases := []struct {
		in, remote, name string
		local            bool
	}{
		{"pgaf-bookworm", "", "pgaf-bookworm", true},
		{"local:pgaf-bookworm", "local", "pgaf-bookworm", true},
		{"images:ubuntu/22.04", "images", "ubuntu/22.04", false},
		{" debian/12 ", "", "debian/12", true},
	}
	for _, c := range cases {
		r, err := ParseImageRef(c.in)
		if err != nil || r.Remote != c.remote || r.Name != c.name || r.IsLocal() != c.local {
			t.Errorf("ParseImageRef(%q) = %+v, %v", c.in, r, err)
		}
	}
	for _, bad := range []string{"", "images:", "elsewhere:debian/12"} {
		if _, err := ParseImageRef(bad); err == nil {
			t.Errorf("ParseImageRef(%q): want error", bad)
		}
	}
	if r, _ := ParseImageRef("images:ubuntu/22.04"); r.String() != "images:ubuntu/22.04" {
		t.Errorf("String() = %s", r)
	}
}

func TestVisibleConfigDropsIncusOwnedKeys(t *testing.T) {
	got := VisibleConfig(map[string]string{"limits.cpu": "1", "volatile.idmap.base": "0", "image.os": "debian"})
	if len(got) != 1 || got["limits.cpu"] != "1" {
		t.Errorf("VisibleConfig = %v", got)
	}
	if !IsIncusOwnedKey("volatile.eth0.hwaddr") || IsIncusOwnedKey("user.volatile") || !strings.HasPrefix("image.os", "image.") {
		t.Error("IsIncusOwnedKey")
	}
}

// An image server that never answers must end in a clear error when the
// task's time is up, not hang (the `images:` remote is unreachable here).
func TestResolveRemoteFailsClearlyWhenServerHangs(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	ref := ImageRef{Remote: "images", Name: "ubuntu/22.04"}
	_, err := resolveRemote(ctx, ref, Remote{Name: "images", URL: srv.URL})
	if err == nil || !strings.Contains(err.Error(), "did not answer") || !strings.Contains(err.Error(), "images:ubuntu/22.04") {
		t.Fatalf("want a did-not-answer error naming the image, got %v", err)
	}
}

func TestResolveRemoteUnknownAlias(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	ref := ImageRef{Remote: "images", Name: "nosuch/1"}
	_, err := resolveRemote(context.Background(), ref, Remote{Name: "images", URL: srv.URL})
	if err == nil || !strings.Contains(err.Error(), "images:nosuch/1") {
		t.Fatalf("want an error naming the image, got %v", err)
	}
}
