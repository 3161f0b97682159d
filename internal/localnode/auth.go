package localnode

import (
	"context"
	"fmt"

	"pgafha/internal/ansible"
	"pgafha/internal/pgautoctl"
	"pgafha/internal/pghba"
)

// HBARules reads hba_rules: nil when unset (the module's lines are left as
// they are); an empty list is a wish too: remove the lines managed here.
func HBARules(p ansible.Params) []string {
	if !p.IsSet("hba_rules") {
		return nil
	}
	return append([]string{}, p.Strings("hba_rules")...)
}

// AuthChange says which of the authentication edits changed something.
type AuthChange struct{ NoTrust, Rules bool }

// EnsureAuth brings the instance's authentication files to what the
// options ask: initdb's trust rules replaced (pghba.NoTrust: the modules log
// in over the socket as postgres, pg_autoctl as its configured user, both
// as the instance's OS user), and rules (unless nil) as the lines tagged
// with marker, the module's own. Nothing is written with dryRun.
func EnsureAuth(ctx context.Context, l pgautoctl.Local, port int, osUser string, rules []string, marker string, dryRun bool) (AuthChange, error) {
	edits := []pghba.Edit{pghba.NoTrust(osUser, []string{"postgres", l.Config["postgresql.username"]})}
	if rules != nil {
		edits = append(edits, pghba.Rules(rules, marker))
	}
	changed, err := pghba.Ensure(ctx, l.PGData, port, dryRun, edits...)
	if err != nil {
		return AuthChange{}, fmt.Errorf("authentication files of the instance at %s: %w", l.PGData, err)
	}
	return AuthChange{NoTrust: changed[0], Rules: len(changed) > 1 && changed[1]}, nil
}

// Report adds what changed to a module's report: a line per change, and
// its before/after for --diff.
func (c AuthChange) Report(osUser string, rules []string, note func(string), before, after map[string]any) {
	if c.NoTrust {
		note("replace initdb's trust rules: peer over the socket for " + osUser + " only, scram-sha-256 on loopback")
		before["local_auth"], after["local_auth"] = "trust", "peer map="+pghba.IdentMap+", scram-sha-256"
	}
	if c.Rules {
		note("update the pg_hba.conf rules managed here (hba_rules)")
		before["hba_rules"], after["hba_rules"] = "different", rules
	}
}

// Changed reports whether any edit changed something.
func (c AuthChange) Changed() bool { return c.NoTrust || c.Rules }
