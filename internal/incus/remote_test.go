package incus

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lxc/incus/v7/shared/cliconfig"
)

// clientConfig writes an Incus client configuration with the given remotes
// (name → address) into a new directory, with a client certificate, and
// points $INCUS_CONF at it.
func clientConfig(t *testing.T, remotes map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("INCUS_CONF", dir)
	var b strings.Builder
	b.WriteString("default-remote: local\nremotes:\n")
	for name, addr := range remotes {
		b.WriteString("  " + name + ":\n    addr: " + addr + "\n    protocol: incus\n    auth_type: tls\n    public: false\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "config.yml"), []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := cliconfig.NewConfig(dir, false).GenerateClientCertificate(); err != nil {
		t.Fatalf("client certificate: %v", err)
	}
	return dir
}

func connectErr(t *testing.T, remote string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := ConnectRemote(ctx, remote)
	if err == nil {
		t.Fatalf("ConnectRemote(%q) = %v, want an error", remote, c)
	}
	return err.Error()
}

func TestConnectRemoteUnknown(t *testing.T) {
	clientConfig(t, map[string]string{"hostb": "https://127.0.0.1:1"})
	msg := connectErr(t, "hostc")
	for _, want := range []string{`remote "hostc" is not in the Incus client configuration`, "hostb", "local", "incus remote add hostc"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q: %s", want, msg)
		}
	}
}

func TestConnectRemoteImageServer(t *testing.T) {
	dir := clientConfig(t, nil)
	conf := "remotes:\n  images:\n    addr: https://images.linuxcontainers.org\n    protocol: simplestreams\n    public: true\n"
	if err := os.WriteFile(filepath.Join(dir, "config.yml"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	if msg := connectErr(t, "images"); !strings.Contains(msg, "is an image server") {
		t.Errorf("images: %s", msg)
	}
}

func TestConnectRemoteUnreachable(t *testing.T) {
	clientConfig(t, map[string]string{"hostb": "https://127.0.0.1:1"})
	if msg := connectErr(t, "hostb"); !strings.Contains(msg, `connect to Incus remote "hostb" (https://127.0.0.1:1)`) {
		t.Errorf("hostb: %s", msg)
	}
}

// fakeDaemon answers GET /1.0 like an Incus daemon that sees the client as
// auth (trusted or untrusted), over TLS on loopback.
func fakeDaemon(t *testing.T, auth string) *httptest.Server {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"type":"sync","status":"Success","status_code":200,"metadata":{"api_version":"1.0","auth":"` + auth + `","environment":{"server_clustered":false}}}`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestConnectRemoteCertificateNotAccepted(t *testing.T) {
	srv := fakeDaemon(t, "trusted")
	clientConfig(t, map[string]string{"hostb": srv.URL})
	// No servercerts/hostb.crt: the server's self-signed certificate is unknown.
	msg := connectErr(t, "hostb")
	if !strings.Contains(msg, "certificate") || !strings.Contains(msg, "incus remote add hostb") {
		t.Errorf("unknown server certificate: %s", msg)
	}
}

func TestConnectRemoteUntrustedClient(t *testing.T) {
	srv := fakeDaemon(t, "untrusted")
	dir := clientConfig(t, map[string]string{"hostb": srv.URL})
	pinServerCert(t, dir, "hostb", srv)
	msg := connectErr(t, "hostb")
	if !strings.Contains(msg, "does not trust this client's certificate") {
		t.Errorf("untrusted client: %s", msg)
	}
}

func TestConnectRemoteTrusted(t *testing.T) {
	srv := fakeDaemon(t, "trusted")
	dir := clientConfig(t, map[string]string{"hostb": srv.URL})
	pinServerCert(t, dir, "hostb", srv)
	c, err := ConnectRemote(context.Background(), "hostb")
	if err != nil {
		t.Fatal(err)
	}
	if c.Remote() != "hostb" {
		t.Errorf("Remote() = %q", c.Remote())
	}
	// The fake is not clustered: any target is refused.
	if err := c.CheckTarget(context.Background(), "member1"); err == nil || !strings.Contains(err.Error(), "is not clustered") {
		t.Errorf("CheckTarget on a standalone daemon: %v", err)
	}
	if err := c.CheckTarget(context.Background(), ""); err != nil {
		t.Errorf("CheckTarget without a target: %v", err)
	}
}

// pinServerCert stores the server's certificate where `incus remote add`
// keeps the one it accepted.
func pinServerCert(t *testing.T, dir, remote string, srv *httptest.Server) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "servercerts"), 0o700); err != nil {
		t.Fatal(err)
	}
	pemCert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(filepath.Join(dir, "servercerts", remote+".crt"), pemCert, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestTargetError(t *testing.T) {
	members := []string{"node2", "node1"}
	cases := []struct {
		target    string
		clustered bool
		want      string
	}{
		{"node1", true, ""},
		{"node3", true, `target "node3" is not a member of the cluster behind remote "hostb" (members: node1, node2)`},
		{"node1", false, `remote "hostb" is not clustered`},
	}
	for _, c := range cases {
		err := targetError("hostb", c.target, c.clustered, members)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.target, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: got %v, want %q", c.target, err, c.want)
		}
	}
}
