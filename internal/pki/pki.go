// Package pki is a formation's own certificate authority: a CA, and one
// server certificate per member with the member's names and addresses as
// subject alternative names, so that clients can use sslmode=verify-full.
// Keys are ECDSA P-256, which PostgreSQL and libpq accept everywhere.
package pki

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"slices"
	"time"
)

// CA is a loaded certificate authority.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// Pair is a certificate and its private key, PEM-encoded.
type Pair struct {
	Cert, Key []byte
}

// backdate covers clocks that run a little behind the controller's.
const backdate = 5 * time.Minute

// NewCA creates a self-signed CA valid for validity from now.
func NewCA(commonName string, now time.Time, validity time.Duration) (Pair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Pair{}, fmt.Errorf("generate the CA key: %w", err)
	}
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	return sign(tmpl, tmpl, key, key)
}

// LoadCA parses a CA pair and checks that the key is the certificate's.
func LoadCA(p Pair) (*CA, error) {
	cert, err := parseCert(p.Cert)
	if err != nil {
		return nil, fmt.Errorf("CA certificate: %w", err)
	}
	if !cert.IsCA {
		return nil, errors.New("CA certificate: not a CA (basic constraints)")
	}
	key, err := parseKey(p.Key)
	if err != nil {
		return nil, fmt.Errorf("CA key: %w", err)
	}
	if !publicKeysEqual(cert.PublicKey, key.Public()) {
		return nil, errors.New("the CA key does not belong to the CA certificate")
	}
	return &CA{Cert: cert, Key: key}, nil
}

// Issue signs a server certificate for commonName with sans (IP addresses
// become IP SANs, anything else a DNS SAN) and a new key.
func (ca *CA) Issue(commonName string, sans []string, now time.Time, validity time.Duration) (Pair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Pair{}, fmt.Errorf("generate the key of %s: %w", commonName, err)
	}
	notAfter := now.Add(validity)
	if notAfter.After(ca.Cert.NotAfter) {
		notAfter = ca.Cert.NotAfter
	}
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: commonName},
		NotBefore:   now.Add(-backdate),
		NotAfter:    notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, s := range sans {
		if ip := net.ParseIP(s); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, s)
		}
	}
	return sign(tmpl, ca.Cert, key, ca.Key)
}

// Stale says why a member's pair must be issued again, or "" when it can
// stay: missing or unreadable, not from ca, other names, or less than
// renewBefore left.
func (ca *CA) Stale(p Pair, sans []string, now time.Time, renewBefore time.Duration) string {
	cert, err := parseCert(p.Cert)
	if err != nil {
		return "no usable certificate"
	}
	key, err := parseKey(p.Key)
	if err != nil || !publicKeysEqual(cert.PublicKey, key.Public()) {
		return "no usable key for the certificate"
	}
	if cert.CheckSignatureFrom(ca.Cert) != nil {
		return "signed by another CA"
	}
	if !slices.Equal(SANs(cert), normalize(sans)) {
		return fmt.Sprintf("names %v, want %v", SANs(cert), normalize(sans))
	}
	if cert.NotAfter.Sub(now) < renewBefore {
		return fmt.Sprintf("expires %s, less than the renewal margin away", cert.NotAfter.UTC().Format(time.DateOnly))
	}
	return ""
}

// NotAfter is the expiry of a PEM certificate (zero when unreadable).
func NotAfter(certPEM []byte) time.Time {
	c, err := parseCert(certPEM)
	if err != nil {
		return time.Time{}
	}
	return c.NotAfter
}

// SANs lists a certificate's DNS names and IP addresses, sorted.
func SANs(c *x509.Certificate) []string {
	var s []string
	s = append(s, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		s = append(s, ip.String())
	}
	slices.Sort(s)
	return s
}

func normalize(sans []string) []string {
	var s []string
	for _, x := range sans {
		if ip := net.ParseIP(x); ip != nil {
			x = ip.String()
		}
		if !slices.Contains(s, x) {
			s = append(s, x)
		}
	}
	slices.Sort(s)
	return s
}

func sign(tmpl, parent *x509.Certificate, key *ecdsa.PrivateKey, signer crypto.Signer) (Pair, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return Pair{}, fmt.Errorf("serial number: %w", err)
	}
	tmpl.SerialNumber = serial
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	if err != nil {
		return Pair{}, fmt.Errorf("sign the certificate of %s: %w", tmpl.Subject.CommonName, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return Pair{}, fmt.Errorf("encode the key of %s: %w", tmpl.Subject.CommonName, err)
	}
	return Pair{
		Cert: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		Key:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}, nil
}

func parseCert(b []byte) (*x509.Certificate, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, errors.New("no PEM certificate")
	}
	return x509.ParseCertificate(blk.Bytes)
}

func parseKey(b []byte) (crypto.Signer, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("no PEM key")
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, err
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, errors.New("the key cannot sign")
	}
	return s, nil
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	x, err1 := x509.MarshalPKIXPublicKey(a)
	y, err2 := x509.MarshalPKIXPublicKey(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}
