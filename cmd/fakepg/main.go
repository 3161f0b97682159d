// Command fakepg plays a PostgreSQL server up to the TLS handshake, for the
// test that shows clients of the formation refuse an impostor: it presents
// a certificate from a CA of its own (or from the CA in -ca, for other
// names than the server's), then closes the connection.
//
//	fakepg -listen 10.66.1.1:25499 [-ca DIR] [-names 10.66.1.99,other]
//
// It prints "ready" once listening and serves until killed.
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"pgafha/internal/pgtls"
	"pgafha/internal/pki"
)

func main() {
	listen := flag.String("listen", "", "address to listen on (host:port)")
	caDir := flag.String("ca", "", "sign with ca.crt/ca.key of this directory; default a new CA of its own")
	names := flag.String("names", "", "comma-separated names in the certificate; default the listen host")
	flag.Parse()
	if err := run(*listen, *caDir, *names); err != nil {
		fmt.Fprintln(os.Stderr, "fakepg:", err)
		os.Exit(1)
	}
}

func run(listen, caDir, names string) error {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("-listen: %w", err)
	}
	if names == "" {
		names = host
	}
	ca, err := loadOrMakeCA(caDir)
	if err != nil {
		return err
	}
	pair, err := ca.Issue("fakepg", strings.Split(names, ","), time.Now(), time.Hour)
	if err != nil {
		return err
	}
	cert, err := tls.X509KeyPair(pair.Cert, pair.Key)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	fmt.Println("ready")
	return pgtls.Serve(l, cert)
}

func loadOrMakeCA(dir string) (*pki.CA, error) {
	var p pki.Pair
	var err error
	if dir == "" {
		if p, err = pki.NewCA("fakepg CA", time.Now(), time.Hour); err != nil {
			return nil, err
		}
		return pki.LoadCA(p)
	}
	if p.Cert, err = os.ReadFile(filepath.Join(dir, "ca.crt")); err != nil {
		return nil, err
	}
	if p.Key, err = os.ReadFile(filepath.Join(dir, "ca.key")); err != nil {
		return nil, err
	}
	return pki.LoadCA(p)
}
