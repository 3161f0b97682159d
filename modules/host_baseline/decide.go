package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// plan is what differs; every field false/empty means nothing to do.
type plan struct {
	localtime, timezone, locale bool
	// missing packages are reported only: installing needs a mirror.
	missing []string
	// Per cluster, in the order asked.
	startConf, stop, disable []cluster
}

func (p plan) changed() bool {
	return p.localtime || p.timezone || p.locale || len(p.startConf)+len(p.stop)+len(p.disable) > 0
}

// startConfDisabled keeps Debian's postgresql.service (and its boot-time
// generator) from starting the cluster; stopping the unit alone would not.
const startConfDisabled = "disabled\n"

func decide(o options, s seen) plan {
	var p plan
	if o.timezone != "" {
		p.localtime = s.localtime != s.zoneTarget
		p.timezone = s.timezone != o.timezone+"\n"
	}
	if o.locale != "" {
		p.locale = s.locale != "LANG="+o.locale+"\n"
	}
	for _, name := range o.packages {
		if !s.installed[name] && !slices.Contains(p.missing, name) {
			p.missing = append(p.missing, name)
		}
	}
	for _, c := range s.clusters {
		if !c.exists {
			continue
		}
		if c.startConf != startConfDisabled {
			p.startConf = append(p.startConf, c.cluster)
		}
		if c.active {
			p.stop = append(p.stop, c.cluster)
		}
		if c.enabled {
			p.disable = append(p.disable, c.cluster)
		}
	}
	return p
}

// apply carries out the plan in order and returns the part that was done.
func apply(ctx context.Context, o options, s seen, p plan, at paths) (plan, error) {
	var done plan
	done.missing = p.missing
	if p.localtime {
		if err := replaceSymlink(s.zoneTarget, at.localtime); err != nil {
			return done, fmt.Errorf("set the time zone (%s): %w", at.localtime, err)
		}
		done.localtime = true
	}
	if p.timezone {
		if err := os.WriteFile(at.timezone, []byte(o.timezone+"\n"), 0o644); err != nil {
			return done, fmt.Errorf("record the time zone name: %w", err)
		}
		done.timezone = true
	}
	if p.locale {
		if err := os.WriteFile(at.locale, []byte("LANG="+o.locale+"\n"), 0o644); err != nil {
			return done, fmt.Errorf("set the default locale: %w", err)
		}
		done.locale = true
	}
	for _, c := range p.startConf {
		// WriteFile keeps an existing file's owner and mode (postgres, 0644).
		path := filepath.Join(at.postgresConf, c.version, c.name, "start.conf")
		if err := os.WriteFile(path, []byte(startConfDisabled), 0o644); err != nil {
			return done, fmt.Errorf("keep cluster %s from starting at boot: %w", c, err)
		}
		done.startConf = append(done.startConf, c)
	}
	for _, c := range p.stop {
		if _, err := at.systemctl(ctx, true, "stop", c.unit()); err != nil {
			return done, fmt.Errorf("stop cluster %s: %w", c, err)
		}
		done.stop = append(done.stop, c)
	}
	for _, c := range p.disable {
		if _, err := at.systemctl(ctx, true, "disable", c.unit()); err != nil {
			return done, fmt.Errorf("disable cluster %s: %w", c, err)
		}
		done.disable = append(done.disable, c)
	}
	return done, nil
}

// replaceSymlink points link at target, replacing whatever is there in one
// rename so /etc/localtime never goes missing.
func replaceSymlink(target, link string) error {
	tmp := link + ".host_baseline"
	_ = os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, link); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return nil
}
