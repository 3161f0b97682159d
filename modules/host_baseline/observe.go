package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"pgafha/internal/service"
)

// paths are where the host keeps what this module manages; tests point
// them into a temporary directory.
type paths struct {
	zoneinfo, localtime, timezone, locale, dpkgStatus, postgresConf string
	// status and systemctl are nil in tests: no unit is ever active there.
	status    func(ctx context.Context, unit string) (active, enabled bool, err error)
	systemctl func(ctx context.Context, strict bool, args ...string) (string, error)
}

var hostPaths = paths{
	zoneinfo: "/usr/share/zoneinfo", localtime: "/etc/localtime", timezone: "/etc/timezone",
	locale: "/etc/default/locale", dpkgStatus: "/var/lib/dpkg/status", postgresConf: "/etc/postgresql",
	status: service.Status, systemctl: service.Systemctl,
}

// seen is the host as found.
type seen struct {
	localtime, timezone, locale string // link target / file contents, "" if missing
	zoneTarget                  string // what /etc/localtime must point to
	installed                   map[string]bool
	clusters                    []clusterSeen
}

type clusterSeen struct {
	cluster
	exists          bool
	startConf       string
	active, enabled bool
}

func observe(ctx context.Context, o options, p paths) (seen, error) {
	var s seen
	if o.timezone != "" {
		fi, err := os.Stat(filepath.Join(p.zoneinfo, o.timezone))
		if err != nil || !fi.Mode().IsRegular() {
			return s, fmt.Errorf("timezone %q: no such zone under %s (is tzdata installed?)", o.timezone, p.zoneinfo)
		}
		s.zoneTarget = filepath.Join(p.zoneinfo, o.timezone)
		s.localtime, _ = os.Readlink(p.localtime)
		s.timezone = readOptional(p.timezone)
	}
	if o.locale != "" {
		s.locale = readOptional(p.locale)
	}
	if len(o.packages) > 0 {
		var err error
		if s.installed, err = installedPackages(p.dpkgStatus); err != nil {
			return s, err
		}
	}
	for _, c := range o.clusters {
		cs := clusterSeen{cluster: c}
		dir := filepath.Join(p.postgresConf, c.version, c.name)
		if _, err := os.Stat(dir); err == nil {
			cs.exists = true
			cs.startConf = readOptional(filepath.Join(dir, "start.conf"))
			if p.status != nil {
				if cs.active, cs.enabled, err = p.status(ctx, c.unit()); err != nil {
					return s, err
				}
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return s, fmt.Errorf("look for cluster %s: %w", c, err)
		}
		s.clusters = append(s.clusters, cs)
	}
	return s, nil
}

func readOptional(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return string(b)
}

// installedPackages reads dpkg's status file: one stanza per package, the
// package installed when its Status ends with "installed".
func installedPackages(statusFile string) (map[string]bool, error) {
	f, err := os.Open(statusFile)
	if err != nil {
		return nil, fmt.Errorf("read dpkg's status (is this a Debian host?): %w", err)
	}
	defer f.Close()
	out := map[string]bool{}
	var pkg string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			pkg = ""
		case strings.HasPrefix(line, "Package: "):
			pkg = strings.TrimSpace(strings.TrimPrefix(line, "Package: "))
		case strings.HasPrefix(line, "Status: ") && pkg != "":
			if strings.HasSuffix(strings.TrimSpace(line), " installed") {
				out[pkg] = true
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read dpkg's status: %w", err)
	}
	return out, nil
}
