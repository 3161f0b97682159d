package main

import (
	"fmt"

	"pgafha/internal/ansible"
	"pgafha/internal/localnode"
	"pgafha/internal/pgautoctl"
)

// options are the validated module options.
type options struct {
	state, pgdata, hostname, listen, binDir, osUser, password string
	port                                                      int
	sec                                                       pgautoctl.Security
	settings                                                  map[string]any
	hbaRules                                                  []string // nil: not managed
}

// hbaMarker tags the pg_hba.conf lines this module owns.
const hbaMarker = "# managed by pgaf_monitor"

func readOptions(p ansible.Params) (options, error) {
	o := options{
		state: p.String("state"), pgdata: p.String("pgdata"), hostname: p.String("hostname"),
		listen: p.String("listen_addresses"), binDir: p.String("pg_bin_dir"), osUser: p.String("os_user"),
		password: p.String("autoctl_node_password"), port: p.Int("pgport"), settings: p.Dict("settings"),
		sec: localnode.Security(p),
	}
	if err := localnode.Validate(p, "data nodes"); err != nil {
		return o, err
	}
	o.hbaRules = localnode.HBARules(p)
	switch {
	case o.sec.Auth == pgautoctl.AuthSCRAM && o.password == "":
		return o, fmt.Errorf("auth=%s needs autoctl_node_password: data nodes log in to the monitor as autoctl_node with it", pgautoctl.AuthSCRAM)
	case o.sec.Auth == pgautoctl.AuthTrust && o.password != "":
		return o, fmt.Errorf("autoctl_node_password is only used with auth=%s", pgautoctl.AuthSCRAM)
	}
	return o, pgautoctl.CheckPgpassValue("autoctl_node_password", o.password)
}
