package localnode

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"pgafha/internal/ansible"
	"pgafha/internal/atomicfile"
	"pgafha/internal/localpg"
	"pgafha/internal/pgautoctl"
	"pgafha/internal/pgtls"
)

// ChangeTLS brings the TLS setup of the instance at pgdata to sec with
// `pg_autoctl enable ssl` (which signals a running pg_autoctl to rewrite
// PostgreSQL's settings and reload; a standby also restarts to use the new
// replication settings), then checks that the config says so.
func ChangeTLS(ctx context.Context, r *pgautoctl.Runner, pgdata string, sec pgautoctl.Security) (pgautoctl.Local, error) {
	if _, err := r.Run(ctx, nil, sec.EnableSSLArgs(pgdata)...); err != nil {
		return pgautoctl.Local{}, fmt.Errorf("change the TLS setup of %s: %w", pgdata, err)
	}
	l, err := r.Inspect(ctx, pgdata)
	if err != nil {
		return l, err
	}
	if d := sec.TLSDrift(l.Config); len(d) > 0 {
		return l, fmt.Errorf("pg_autoctl enable ssl left the TLS setup of %s different from what was asked: %s", pgdata, strings.Join(d, "; "))
	}
	return l, nil
}

// AwaitServedCert waits (bounded by ctx) until the server at host:port
// presents a certificate that connections made with sec accept: before
// that, a client that verifies it would be refused. Nothing to wait for
// when sec does not verify servers.
func AwaitServedCert(ctx context.Context, host string, port int, sec pgautoctl.Security) error {
	chain, names := sec.VerifiesServers()
	if !chain {
		return nil
	}
	roots, err := pgtls.Roots(sec.CAFile)
	if err != nil {
		return err
	}
	for {
		vctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = pgtls.Verify(vctx, host, port, roots, names)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the server at %s:%d does not present a certificate that %s with %s accepts: %w", host, port, sec.EffectiveSSLMode(), sec.CAFile, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// ReloadForRenewedTLS reloads the running PostgreSQL on port when a
// certificate file of sec changed after it read its configuration (a
// renewal keeps the paths, so nothing else would make it read them). It
// reports whether a reload was (or, with dryRun, would be) needed. pending
// are files the run has still to write (a dry run's EnsureTLSFiles): they
// will be newer than what PostgreSQL read.
func ReloadForRenewedTLS(ctx context.Context, pgdata string, port int, sec pgautoctl.Security, pending []string, dryRun bool) (bool, error) {
	if sec.SSL != pgautoctl.SSLFiles || !pgautoctl.PostgresRunning(pgdata) {
		return false, nil
	}
	if len(pending) > 0 && dryRun {
		return true, nil
	}
	conn, err := localpg.ConnectWhenReady(ctx, port, "postgres")
	if err != nil {
		return false, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	newer, err := localpg.FilesNewer(ctx, conn, sec.ServerCert, sec.ServerKey, sec.CAFile, sec.CRLFile)
	if err != nil || len(newer) == 0 || dryRun {
		return len(newer) > 0, err
	}
	if _, err := conn.Exec(ctx, "SELECT pg_reload_conf()"); err != nil {
		return true, fmt.Errorf("reload PostgreSQL for the renewed %s: %w", strings.Join(newer, ", "), err)
	}
	return true, nil
}

// TLSFile is a certificate or key the module keeps on this host.
type TLSFile struct {
	Option, PathOption string // the options that give its content and its path
	Path, Content      string
	Mode               os.FileMode
}

// TLSFiles are the *_pem options that are set, with their paths.
func TLSFiles(p ansible.Params) []TLSFile {
	var out []TLSFile
	for _, f := range []TLSFile{
		{Option: "ssl_ca_pem", PathOption: "ssl_ca_file", Mode: 0o644},
		{Option: "server_cert_pem", PathOption: "server_cert", Mode: 0o644},
		{Option: "server_key_pem", PathOption: "server_key", Mode: 0o600},
	} {
		if f.Content = p.String(f.Option); f.Content != "" {
			f.Path = p.String(f.PathOption)
			out = append(out, f)
		}
	}
	return out
}

// EnsureTLSFiles writes each file whose content differs (its directory
// created 0700), as the user this process runs as (the instance's owner),
// the key before its certificate so that PostgreSQL never pairs a new
// certificate with an old key. It returns the paths that changed (or would,
// with dryRun). A renewal keeps the paths: ReloadForRenewedTLS then makes a
// running PostgreSQL read them.
func EnsureTLSFiles(files []TLSFile, dryRun bool) ([]string, error) {
	// ssl_ca_pem, server_key_pem, server_cert_pem: the key before its certificate.
	slices.SortStableFunc(files, func(a, b TLSFile) int { return strings.Compare(b.Option, a.Option) })
	var changed []string
	for _, f := range files {
		cur, err := os.ReadFile(f.Path)
		if err == nil && string(cur) == f.Content {
			if fi, err := os.Stat(f.Path); err == nil && fi.Mode().Perm() == f.Mode {
				continue
			}
		}
		changed = append(changed, f.Path)
		if dryRun {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(f.Path), 0o700); err != nil {
			return changed, fmt.Errorf("create the directory of %s: %w", f.Path, err)
		}
		if err := atomicfile.Write(f.Path, []byte(f.Content), f.Mode); err != nil {
			return changed, err
		}
	}
	return changed, nil
}

// StageCA returns, when the CA file is still to be written (among pending),
// a temporary copy of its content for the run's own connections before it
// is (or, in check mode, without it being) written, and how to remove it;
// "" when the file in place is the one asked.
func StageCA(files []TLSFile, pending []string) (string, func(), error) {
	none := func() {}
	for _, f := range files {
		if f.Option != "ssl_ca_pem" || !slices.Contains(pending, f.Path) {
			continue
		}
		tmp, err := os.CreateTemp("", "pgafha-ca-*.crt")
		if err != nil {
			return "", none, fmt.Errorf("stage the CA: %w", err)
		}
		_, werr := tmp.WriteString(f.Content)
		if err := errors.Join(werr, tmp.Close()); err != nil {
			os.Remove(tmp.Name())
			return "", none, fmt.Errorf("stage the CA: %w", err)
		}
		return tmp.Name(), func() { os.Remove(tmp.Name()) }, nil
	}
	return "", none, nil
}
