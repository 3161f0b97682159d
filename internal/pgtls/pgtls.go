// Package pgtls is TLS as PostgreSQL speaks it: a server is asked for TLS
// with an SSLRequest before the handshake. It checks the certificate a
// server presents the way libpq's sslmode=verify-ca / verify-full does, and
// serves a certificate the same way (for tests that play a server).
package pgtls

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
)

// sslRequestCode is the protocol's SSLRequest (1234.5679).
const sslRequestCode = 80877103

// Roots reads a PEM bundle of CA certificates.
func Roots(caFile string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("read the CA file %s: %w", caFile, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("the CA file %s holds no PEM certificate", caFile)
	}
	return pool, nil
}

// Verify connects to host:port, asks for TLS and checks the server's
// certificate against roots: its chain, and with fullCheck its names too
// (host must be among them), as libpq's verify-full does.
func Verify(ctx context.Context, host string, port int, roots *x509.CertPool, fullCheck bool) error {
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", addr, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	var req [8]byte
	binary.BigEndian.PutUint32(req[0:4], 8)
	binary.BigEndian.PutUint32(req[4:8], sslRequestCode)
	if _, err := conn.Write(req[:]); err != nil {
		return fmt.Errorf("ask %s for TLS: %w", addr, err)
	}
	var answer [1]byte
	if _, err := io.ReadFull(conn, answer[:]); err != nil {
		return fmt.Errorf("ask %s for TLS: %w", addr, err)
	}
	if answer[0] != 'S' {
		return fmt.Errorf("%s does not offer TLS", addr)
	}
	cfg := &tls.Config{RootCAs: roots, ServerName: host, MinVersion: tls.VersionTLS12}
	if !fullCheck {
		// verify-ca: the chain, not the names.
		cfg.InsecureSkipVerify = true
		cfg.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
			return verifyChain(raw, roots)
		}
	}
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return fmt.Errorf("TLS with %s: %w", addr, err)
	}
	return nil
}

func verifyChain(raw [][]byte, roots *x509.CertPool) error {
	if len(raw) == 0 {
		return errors.New("the server sent no certificate")
	}
	certs := make([]*x509.Certificate, len(raw))
	for i, r := range raw {
		c, err := x509.ParseCertificate(r)
		if err != nil {
			return err
		}
		certs[i] = c
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	_, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
	return err
}

// Serve answers every connection on l the way a PostgreSQL server with
// TLS does up to the handshake, presenting cert, then closes it. It
// returns when l is closed.
func Serve(l net.Listener, cert tls.Certificate) error {
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	for {
		conn, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		go func() {
			defer conn.Close()
			var req [8]byte
			if _, err := io.ReadFull(conn, req[:]); err != nil || binary.BigEndian.Uint32(req[4:8]) != sslRequestCode {
				return
			}
			if _, err := conn.Write([]byte{'S'}); err != nil {
				return
			}
			tc := tls.Server(conn, cfg)
			_ = tc.Handshake()
			// A client that accepted the certificate would now send its
			// startup message; a fake server has nothing to say to it.
			_ = tc.Close()
		}()
	}
}
