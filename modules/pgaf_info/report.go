package main

import (
	"fmt"
	"strings"

	"pgafha/internal/ansible"
	"pgafha/internal/pgaf"
)

// nodeView is a node as returned to Ansible: the monitor's record plus the
// role derived from it.
type nodeView struct {
	pgaf.Node
	Role pgaf.Role `json:"role"`
}

// primaryView names the primary without repeating the whole node.
type primaryView struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Host string `json:"host"`
	Port int    `json:"port"`
}

func (fi formationInfo) report(r *ansible.Result) {
	nodes := make([]nodeView, len(fi.nodes))
	for i, n := range fi.nodes {
		nodes[i] = nodeView{Node: n, Role: n.Role()}
	}
	r.Set("nodes", nodes)
	if fi.primary != nil {
		r.Set("primary", primaryView{ID: fi.primary.ID, Name: fi.primary.Name, Host: fi.primary.Host, Port: fi.primary.Port})
	} else {
		r.Set("primary", nil)
	}
	r.Set("formation", fi.formation)
	r.Set("number_sync_standbys", fi.formation.NumberSyncStandbys)
	r.Set("formation_uri", fi.uri)
	r.Set("synchronous_standby_names", fi.syncNames)
	r.Set("healthy", len(fi.status.Problems) == 0)
	problems := fi.status.Problems
	if problems == nil {
		problems = []string{}
	}
	r.Set("problems", problems)
	r.Set("monitor_version", fi.monitorVersion)
}

// summary is the one-line msg: which formation, who is what, healthy or why not.
func (fi formationInfo) summary() string {
	s := fmt.Sprintf("formation %s: %s", fi.formation.Name, pgaf.Summary(fi.nodes))
	if len(fi.status.Problems) == 0 {
		return s + "; healthy"
	}
	return s + "; not healthy: " + strings.Join(fi.status.Problems, "; ")
}
