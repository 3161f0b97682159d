// Package labnet cuts and heals network paths between lab containers on
// the Incus host, for the failover test's partition scenarios: one
// nftables table of the bridge family drops every frame forwarded between
// two sets of addresses. The Incus bridge forwards container-to-container
// traffic itself, so the table sees it whatever the containers' own
// firewalls do; traffic from the host (the write probe) is not forwarded
// and still reaches every container.
package labnet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os/exec"
	"slices"
	"strings"
)

// Table is the one nftables table this package owns (family bridge).
const Table = "pgafha_fault"

// Cutter applies and removes the cut with the nft command.
type Cutter struct {
	// NFT is the nft binary; "nft" (from PATH) when empty.
	NFT string
}

// Cut drops every frame between any address of a and any of b, both
// ways. It replaces a cut left by an earlier run.
func (c Cutter) Cut(ctx context.Context, a, b []string) error {
	rules, err := Ruleset(a, b)
	if err != nil {
		return err
	}
	return c.run(ctx, rules, "cut the network")
}

// Heal removes the cut; there being none is not an error.
func (c Cutter) Heal(ctx context.Context) error {
	return c.run(ctx, removeTable, "heal the network")
}

// removeTable deletes the table whether or not it exists (nft 1.0.6 has
// no `destroy`): adding an existing table is a no-op.
var removeTable = fmt.Sprintf("add table bridge %s\ndelete table bridge %s\n", Table, Table)

// Ruleset is the nft script for Cut: the old table removed and the new one
// loaded in one transaction.
func Ruleset(a, b []string) (string, error) {
	as, err := addrSet("a", a)
	if err != nil {
		return "", err
	}
	bs, err := addrSet("b", b)
	if err != nil {
		return "", err
	}
	return removeTable + fmt.Sprintf(`table bridge %s {
	comment "pgafha failover test: a partition, removed when the test ends"
	chain forward {
		type filter hook forward priority filter; policy accept;
		ip saddr %s ip daddr %s drop
		ip saddr %s ip daddr %s drop
	}
}
`, Table, as, bs, bs, as), nil
}

// addrSet renders IPv4 addresses as an nft set; anything else is refused
// (a name or IPv6 address would silently cut nothing).
func addrSet(side string, addrs []string) (string, error) {
	if len(addrs) == 0 {
		return "", fmt.Errorf("cut the network: side %s has no address", side)
	}
	out := make([]string, 0, len(addrs))
	for _, s := range addrs {
		ip := net.ParseIP(s)
		if ip == nil || ip.To4() == nil {
			return "", fmt.Errorf("cut the network: %q is not an IPv4 address", s)
		}
		if !slices.Contains(out, ip.String()) {
			out = append(out, ip.String())
		}
	}
	return "{ " + strings.Join(out, ", ") + " }", nil
}

func (c Cutter) run(ctx context.Context, script, what string) error {
	bin := c.NFT
	if bin == "" {
		bin = "nft"
	}
	cmd := exec.CommandContext(ctx, bin, "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: nft not found (apt-get install nftables): %w", what, err)
		}
		return fmt.Errorf("%s: nft: %w: %s", what, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
