package main

import (
	"encoding/json"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"pgafha/internal/ansible/ansibletest"
)

// fakeIncus is a daemon on a Unix socket that knows one image and creates
// the instance asked for, but fails to start it: the case where a run has
// changed something (the container exists) and then fails.
type fakeIncus struct {
	mu      sync.Mutex
	created bool
	paths   []string
}

func (f *fakeIncus) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.paths = append(f.paths, r.Method+" "+r.URL.Path)
	sync := func(meta any) {
		_ = json.NewEncoder(w).Encode(map[string]any{"type": "sync", "status": "Success", "status_code": 200, "metadata": meta})
	}
	notFound := func() {
		w.WriteHeader(http.StatusNotFound)
		_ = json.NewEncoder(w).Encode(map[string]any{"type": "error", "error": "Not Found", "error_code": 404})
	}
	op := func(status string, code int, err string) map[string]any {
		return map[string]any{"id": "op1", "class": "task", "status": status, "status_code": code, "err": err,
			"resources": map[string]any{}, "may_cancel": false}
	}
	switch {
	case r.URL.Path == "/1.0":
		sync(map[string]any{"api_extensions": []string{"projects", "instances"}, "api_status": "stable", "api_version": "1.0",
			"auth": "trusted", "environment": map[string]any{"server": "incus", "server_version": "6.0.4"}})
	case r.URL.Path == "/1.0/projects/default":
		sync(map[string]any{"name": "default"})
	case r.URL.Path == "/1.0/images/aliases/pgaf-bookworm":
		sync(map[string]any{"name": "pgaf-bookworm", "target": "abc123", "type": "container"})
	case r.URL.Path == "/1.0/instances/pgaf-x" && r.Method == http.MethodGet:
		if !f.created {
			notFound()
			return
		}
		sync(map[string]any{"name": "pgaf-x", "type": "container", "status": "Stopped", "config": map[string]any{}, "devices": map[string]any{}, "profiles": []string{"default"}})
	case r.URL.Path == "/1.0/instances" && r.Method == http.MethodPost:
		f.created = true
		w.Header().Set("Location", "/1.0/operations/op1")
		w.WriteHeader(http.StatusAccepted)
		_ = json.NewEncoder(w).Encode(map[string]any{"type": "async", "status": "Operation created", "status_code": 100,
			"operation": "/1.0/operations/op1", "metadata": op("Running", 103, "")})
	case strings.HasPrefix(r.URL.Path, "/1.0/operations/op1"):
		sync(op("Failure", 400, "Failed to start device \"eth0\": the fake cannot start containers"))
	default:
		notFound()
	}
}

func startFakeIncus(t *testing.T) *fakeIncus {
	t.Helper()
	socket := filepath.Join(t.TempDir(), "unix.socket")
	l, err := net.Listen("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeIncus{}
	srv := &http.Server{Handler: f}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	t.Setenv("INCUS_SOCKET", socket)
	return f
}

// A container created and then not started is a change: the failed result
// says changed=true, so a re-run is not mistaken for a no-op.
func TestCreatedButNotStartedReportsChanged(t *testing.T) {
	f := startFakeIncus(t)
	args := map[string]any{"name": "pgaf-x", "image": "pgaf-bookworm", "state": "started", "wait_ready": false}
	out, res, _ := ansibletest.Run(t, spec, run, args)
	if res["failed"] != true || res["changed"] != true || !strings.Contains(res["msg"].(string), "the fake cannot start containers") {
		t.Errorf("created, then the start failed: %s\n(requests: %v)", out, f.paths)
	}
	// Nothing created: a failure reports changed=false.
	f = startFakeIncus(t)
	args["image"] = "no-such-image"
	out, res, _ = ansibletest.Run(t, spec, run, args)
	if res["failed"] != true || res["changed"] != false || f.created {
		t.Errorf("unknown image: %s", out)
	}
}
