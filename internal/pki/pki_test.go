package pki

import (
	"crypto/tls"
	"crypto/x509"
	"strings"
	"testing"
	"time"
)

func TestIssueVerifiesAgainstItsCAOnly(t *testing.T) {
	now := time.Now()
	caPair, err := NewCA("test CA", now, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := LoadCA(caPair)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ca.Issue("node-a", []string{"10.0.0.11", "node-a"}, now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(srv.Cert, srv.Key)
	if err != nil {
		t.Fatalf("the issued pair is not a TLS key pair: %v", err)
	}
	leaf, _ := x509.ParseCertificate(pair.Certificate[0])
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPair.Cert)
	for _, name := range []string{"10.0.0.11", "node-a"} {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: name}); err != nil {
			t.Errorf("verify for %s: %v", name, err)
		}
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: "10.0.0.12"}); err == nil {
		t.Error("the certificate verified for an address it does not name")
	}
	other, _ := NewCA("other CA", now, time.Hour)
	otherRoots := x509.NewCertPool()
	otherRoots.AppendCertsFromPEM(other.Cert)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: otherRoots, DNSName: "node-a"}); err == nil {
		t.Error("the certificate verified against another CA")
	}
	// Never past the CA's own end.
	long, _ := ca.Issue("node-a", []string{"node-a"}, now, 1000*time.Hour)
	if !NotAfter(long.Cert).Equal(ca.Cert.NotAfter) {
		t.Errorf("not after %v, want the CA's %v", NotAfter(long.Cert), ca.Cert.NotAfter)
	}
}

func TestStale(t *testing.T) {
	now := time.Now()
	caPair, _ := NewCA("test CA", now, 1000*time.Hour)
	ca, _ := LoadCA(caPair)
	sans := []string{"10.0.0.11", "node-a"}
	good, _ := ca.Issue("node-a", sans, now, 100*time.Hour)
	if why := ca.Stale(good, []string{"node-a", "10.0.0.11", "node-a"}, now, 10*time.Hour); why != "" {
		t.Errorf("a fresh certificate is stale: %s", why)
	}
	otherPair, _ := NewCA("other", now, time.Hour)
	other, _ := LoadCA(otherPair)
	foreign, _ := other.Issue("node-a", sans, now, time.Hour)
	cases := map[string]struct {
		p    Pair
		sans []string
		at   time.Time
	}{
		"no usable certificate":             {Pair{}, sans, now},
		"no usable key":                     {Pair{Cert: good.Cert, Key: foreign.Key}, sans, now},
		"signed by another CA":              {foreign, sans, now},
		"names [10.0.0.11 node-a], want":    {good, []string{"10.0.0.12", "node-a"}, now},
		"less than the renewal margin away": {good, sans, now.Add(95 * time.Hour)},
	}
	for want, c := range cases {
		if why := ca.Stale(c.p, c.sans, c.at, 10*time.Hour); !strings.Contains(why, want) {
			t.Errorf("Stale = %q, want it to say %q", why, want)
		}
	}
}

func TestLoadCARefusesMismatchedKey(t *testing.T) {
	a, _ := NewCA("a", time.Now(), time.Hour)
	b, _ := NewCA("b", time.Now(), time.Hour)
	if _, err := LoadCA(Pair{Cert: a.Cert, Key: b.Key}); err == nil || !strings.Contains(err.Error(), "does not belong") {
		t.Errorf("LoadCA with another key: %v", err)
	}
}
