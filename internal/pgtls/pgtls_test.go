package pgtls

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"strings"
	"testing"
	"time"

	"pgafha/internal/pki"
)

// serve starts a fake server with a certificate from ca for names.
func serve(t *testing.T, ca *pki.CA, names ...string) int {
	t.Helper()
	p, err := ca.Issue("srv", names, time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(p.Cert, p.Key)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go Serve(l, cert)
	return l.Addr().(*net.TCPAddr).Port
}

func newCA(t *testing.T, name string) (*pki.CA, *x509.CertPool) {
	t.Helper()
	pair, err := pki.NewCA(name, time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := pki.LoadCA(pair)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pair.Cert)
	return ca, pool
}

func TestVerify(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ours, roots := newCA(t, "formation CA")
	other, _ := newCA(t, "another CA")

	if err := Verify(ctx, "127.0.0.1", serve(t, ours, "127.0.0.1"), roots, true); err != nil {
		t.Errorf("our CA, our name: %v", err)
	}
	wrongName := serve(t, ours, "10.0.0.99")
	if err := Verify(ctx, "127.0.0.1", wrongName, roots, true); err == nil {
		t.Error("verify-full accepted a certificate for another address")
	}
	if err := Verify(ctx, "127.0.0.1", wrongName, roots, false); err != nil {
		t.Errorf("verify-ca refused a certificate of our CA for another address: %v", err)
	}
	foreign := serve(t, other, "127.0.0.1")
	for _, full := range []bool{true, false} {
		err := Verify(ctx, "127.0.0.1", foreign, roots, full)
		if err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("a certificate of another CA (full=%v): %v", full, err)
		}
	}
}
