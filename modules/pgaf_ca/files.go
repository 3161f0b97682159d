package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"pgafha/internal/ansible"
	"pgafha/internal/atomicfile"
	"pgafha/internal/pki"
)

// state is what the directory holds.
type state struct {
	ca      pki.Pair
	members map[string]pki.Pair
}

func caPaths(dir string) (cert, key string) {
	return filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key")
}

func memberPaths(dir, name string) (cert, key string) {
	return filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
}

func observe(o options) (state, error) {
	s := state{members: map[string]pki.Pair{}}
	var err error
	c, k := caPaths(o.dir)
	if s.ca, err = readPair(c, k); err != nil {
		return s, err
	}
	for _, n := range o.names() {
		c, k := memberPaths(o.dir, n)
		if s.members[n], err = readPair(c, k); err != nil {
			return s, err
		}
	}
	return s, nil
}

// readPair reads what exists; a missing file is empty.
func readPair(cert, key string) (pki.Pair, error) {
	var p pki.Pair
	var err error
	if p.Cert, err = os.ReadFile(cert); err != nil && !errors.Is(err, os.ErrNotExist) {
		return p, fmt.Errorf("read %s: %w", cert, err)
	}
	if p.Key, err = os.ReadFile(key); err != nil && !errors.Is(err, os.ErrNotExist) {
		return p, fmt.Errorf("read %s: %w", key, err)
	}
	return p, nil
}

// plan is what must be written.
type plan struct {
	newCA    bool
	issue    map[string]string // member → why
	warnings []string
}

func (p plan) changed() bool { return p.newCA || len(p.issue) > 0 }

func decide(o options, s state, now time.Time) (plan, error) {
	p := plan{issue: map[string]string{}}
	var ca *pki.CA
	switch {
	case len(s.ca.Cert) == 0 && len(s.ca.Key) == 0:
		p.newCA = true
	default:
		var err error
		if ca, err = pki.LoadCA(s.ca); err != nil {
			c, k := caPaths(o.dir)
			return p, fmt.Errorf("the CA in %s is unusable (%v): it is never replaced silently, as every client trusting it would fail; move %s and %s away to create a new CA (every member then gets a new certificate)", o.dir, err, c, k)
		}
		if left := ca.Cert.NotAfter.Sub(now); left < o.certValid {
			p.warnings = append(p.warnings, fmt.Sprintf("the formation CA expires on %s: member certificates cannot outlive it; move ca.crt and ca.key of %s away to create a new one (clients then need the new ca.crt)", ca.Cert.NotAfter.UTC().Format(time.DateOnly), o.dir))
		}
	}
	for _, n := range o.names() {
		if p.newCA {
			p.issue[n] = "new CA"
			continue
		}
		if why := ca.Stale(s.members[n], o.members[n], now, o.renewBefore); why != "" {
			p.issue[n] = why
		}
	}
	return p, nil
}

// apply writes the plan; after a failure the returned plan holds what was
// done before it.
func apply(o options, s state, p plan, now time.Time, secret func(...string)) (plan, error) {
	done := plan{issue: map[string]string{}}
	if err := os.MkdirAll(o.dir, 0o700); err != nil {
		return done, fmt.Errorf("create %s: %w", o.dir, err)
	}
	caPair := s.ca
	if p.newCA {
		var err error
		if caPair, err = pki.NewCA(o.commonName, now, o.caValid); err != nil {
			return done, err
		}
		secret(string(caPair.Key))
		c, k := caPaths(o.dir)
		if err := writePair(c, k, caPair); err != nil {
			return done, err
		}
		done.newCA = true
	}
	ca, err := pki.LoadCA(caPair)
	if err != nil {
		return done, fmt.Errorf("load the CA of %s: %w", o.dir, err)
	}
	for _, n := range o.names() {
		why, ok := p.issue[n]
		if !ok {
			continue
		}
		pair, err := ca.Issue(n, o.members[n], now, o.certValid)
		if err != nil {
			return done, err
		}
		secret(string(pair.Key))
		c, k := memberPaths(o.dir, n)
		if err := writePair(c, k, pair); err != nil {
			return done, err
		}
		done.issue[n] = why
	}
	return done, nil
}

// writePair writes the key (0600) before the certificate (0644), each
// through a temporary file, so a reader never pairs a new certificate with
// an old key.
func writePair(cert, key string, p pki.Pair) error {
	if err := atomicfile.Write(key, p.Key, 0o600); err != nil {
		return err
	}
	return atomicfile.Write(cert, p.Cert, 0o644)
}

// report says what was (or, in check mode, would be) issued, with paths and
// expiry dates; never a key.
func report(m *ansible.Module, o options, s state, p, done plan) {
	res := &m.Result
	res.Changed = done.changed()
	c, _ := caPaths(o.dir)
	res.Set("ca_cert", c)
	caNotAfter := pki.NotAfter(s.ca.Cert)
	if done.newCA && !m.CheckMode() {
		caNotAfter = pki.NotAfter(mustRead(c))
	}
	res.Set("ca_not_after", dateOrNil(caNotAfter))
	members := map[string]any{}
	before, after := map[string]any{}, map[string]any{}
	for _, n := range o.names() {
		cert, key := memberPaths(o.dir, n)
		na := pki.NotAfter(s.members[n].Cert)
		action := "kept"
		if why, ok := done.issue[n]; ok {
			action = "issued (" + why + ")"
			if !m.CheckMode() {
				na = pki.NotAfter(mustRead(cert))
			}
			before[n] = describe(pki.NotAfter(s.members[n].Cert))
			after[n] = "new certificate for " + strings.Join(o.members[n], ", ")
		}
		members[n] = map[string]any{"cert": cert, "key": key, "not_after": dateOrNil(na), "names": o.members[n], "action": action}
	}
	res.Set("members", members)
	if done.newCA {
		before["ca"], after["ca"] = "missing", "new CA "+o.commonName
	}
	if res.Changed {
		res.SetDiff(ansible.Diff{Before: before, After: after})
	}
	what := fmt.Sprintf("%d certificates", len(done.issue))
	if done.newCA {
		what += " and a new CA"
	}
	switch {
	case !res.Changed:
		res.Msg = fmt.Sprintf("the CA and the certificates of %d members are as asked", len(o.members))
	case m.CheckMode():
		res.Msg = "would issue " + what
	default:
		res.Msg = "issued " + what
	}
	if len(done.issue) < len(p.issue) {
		res.Msg += fmt.Sprintf("; %d more were due", len(p.issue)-len(done.issue))
	}
}

func describe(t time.Time) string {
	if t.IsZero() {
		return "missing or unusable"
	}
	return "valid until " + t.UTC().Format(time.DateOnly)
}

func dateOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

func mustRead(path string) []byte {
	b, _ := os.ReadFile(path)
	return b
}
