package pgautoctl

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Config is a pg_autoctl.cfg file as "section.key" → value, the same keys
// `pg_autoctl config get/set` use.
type Config map[string]string

// ParseConfig reads the INI format pg_autoctl writes.
func ParseConfig(text string) (Config, error) {
	cfg := Config{}
	section := ""
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
			continue
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.TrimSpace(line[1 : len(line)-1])
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || section == "" {
			return nil, fmt.Errorf("line %d is neither a [section] nor a key = value pair", n)
		}
		cfg[section+"."+strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return cfg, sc.Err()
}

// Role is "monitor" or "keeper" (a data node).
func (c Config) Role() string { return c["pg_autoctl.role"] }

// Paths are where pg_autoctl keeps its files for one PGDATA, given the
// environment Runner.Env sets (XDG defaults under HOME, runtime in /tmp).
type Paths struct {
	Config string
	State  string
	Init   string
	PID    string
}

// PathsFor returns the file locations for pgdata, which must be absolute:
// pg_autoctl nests its directories by the absolute path of PGDATA.
func (r *Runner) PathsFor(pgdata string) Paths {
	rel := strings.TrimPrefix(filepath.Clean(pgdata), "/")
	cfgDir := filepath.Join(r.Home, ".config", "pg_autoctl", rel)
	dataDir := filepath.Join(r.Home, ".local", "share", "pg_autoctl", rel)
	return Paths{
		Config: filepath.Join(cfgDir, "pg_autoctl.cfg"),
		State:  filepath.Join(dataDir, "pg_autoctl.state"),
		Init:   filepath.Join(dataDir, "pg_autoctl.init"),
		PID:    filepath.Join("/tmp", "pg_autoctl", rel, "pg_autoctl.pid"),
	}
}

// ReadConfig returns the parsed config, or nil when the file does not exist.
// A config caught mid-rewrite (see untilRewritten) is read again.
func ReadConfig(ctx context.Context, path string) (Config, error) {
	var cfg Config
	var err error
	untilRewritten(ctx, func() (partial bool) {
		cfg, partial, err = readConfigOnce(path)
		return partial
	})
	return cfg, err
}

// readConfigOnce reads and parses the config once; partial says the
// content looks like a rewrite in progress (unparsable, or no role).
func readConfigOnce(path string) (cfg Config, partial bool, err error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read pg_autoctl config %s: %w", path, err)
	}
	cfg, err = ParseConfig(string(data))
	if err == nil && cfg.Role() == "" {
		err = fmt.Errorf("no [pg_autoctl] role in %d bytes", len(data))
	}
	if err != nil {
		return nil, true, fmt.Errorf("parse pg_autoctl config %s: %w", path, err)
	}
	return cfg, false, nil
}

// untilRewritten calls read until it reports no partial config, for at
// most configSettle or until ctx ends. pg_autoctl rewrites pg_autoctl.cfg in
// place (truncate, then write) when a setting changes, so a read, its own
// or pg_autoctl's, can catch the file empty or half written.
func untilRewritten(ctx context.Context, read func() (partial bool)) {
	deadline := time.Now().Add(configSettle)
	for read() && time.Now().Before(deadline) && sleepCtx(ctx, 100*time.Millisecond) == nil {
	}
}

// configSettle bounds how long a config caught mid-rewrite is read again.
const configSettle = 2 * time.Second

// sleepCtx waits d, or less when ctx ends first.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
