package main

import (
	"fmt"
	"regexp"
	"strings"

	"pgafha/internal/ansible"
)

// options are the validated module options; "" and nil mean "leave alone".
type options struct {
	timezone, locale string
	packages         []string
	clusters         []cluster
}

// cluster is a Debian PostgreSQL cluster (pg_createcluster's version/name).
type cluster struct{ version, name string }

func (c cluster) String() string { return c.version + "/" + c.name }

// unit is the systemd instance Debian runs the cluster with.
func (c cluster) unit() string { return "postgresql@" + c.version + "-" + c.name + ".service" }

var (
	zoneName    = regexp.MustCompile(`^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$`)
	localeName  = regexp.MustCompile(`^[A-Za-z0-9_.@-]+$`)
	packageName = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+$`)
	clusterName = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)/([A-Za-z0-9_.-]+)$`)
)

func wanted(p ansible.Params) (options, error) {
	o := options{timezone: p.String("timezone"), locale: p.String("locale")}
	if o.timezone != "" && !zoneName.MatchString(o.timezone) {
		return o, fmt.Errorf("timezone must be a name under /usr/share/zoneinfo such as Europe/Paris, got %q", o.timezone)
	}
	if o.locale != "" && !localeName.MatchString(o.locale) {
		return o, fmt.Errorf("locale must be a locale name such as C.UTF-8 or en_US.UTF-8, got %q", o.locale)
	}
	for _, name := range p.Strings("packages") {
		if !packageName.MatchString(name) {
			return o, fmt.Errorf("packages: %q is not a Debian package name", name)
		}
		o.packages = append(o.packages, name)
	}
	for _, c := range p.Strings("disabled_clusters") {
		m := clusterName.FindStringSubmatch(c)
		if m == nil || strings.Contains(m[2], "..") {
			return o, fmt.Errorf("disabled_clusters: %q is not a cluster as VERSION/NAME (e.g. 15/main)", c)
		}
		o.clusters = append(o.clusters, cluster{version: m[1], name: m[2]})
	}
	return o, nil
}
