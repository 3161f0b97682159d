package labnet

import (
	"context"
	"strings"
	"testing"
)

func TestRulesetDropsBothWays(t *testing.T) {
	got, err := Ruleset([]string{"10.66.0.11"}, []string{"10.66.0.10", "10.66.0.12", "10.66.0.10"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"delete table bridge pgafha_fault\n",
		"ip saddr { 10.66.0.11 } ip daddr { 10.66.0.10, 10.66.0.12 } drop",
		"ip saddr { 10.66.0.10, 10.66.0.12 } ip daddr { 10.66.0.11 } drop",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("ruleset lacks %q:\n%s", want, got)
		}
	}
}

func TestRulesetRefusesWhatWouldCutNothing(t *testing.T) {
	for _, c := range [][2][]string{
		{nil, {"10.66.0.10"}},
		{{"pgaf-primary"}, {"10.66.0.10"}},
		{{"10.66.0.11"}, {"fd42::1"}},
		{{"10.66.0.11"}, {"10.66.0.10; flush ruleset"}},
	} {
		if _, err := Ruleset(c[0], c[1]); err == nil {
			t.Errorf("Ruleset(%q, %q) accepted", c[0], c[1])
		}
	}
}

func TestMissingNFTIsAClearError(t *testing.T) {
	err := Cutter{NFT: "/nonexistent/nft"}.Heal(context.Background())
	if err == nil || !strings.Contains(err.Error(), "nft not found") {
		t.Errorf("error %v", err)
	}
}
