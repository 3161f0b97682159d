package localnode

import (
	"pgafha/internal/pgautoctl"
	"pgafha/internal/service"
)

// Host is how pgaf_monitor and pgaf_node reach the instance's host: the
// pg_autoctl runner, the unit that runs pg_autoctl (when the module keeps
// one) and the TLS files the module installs.
type Host struct {
	Runner     *pgautoctl.Runner
	Unit       service.Unit
	ManageUnit bool
	TLSFiles   []TLSFile
}
