package localnode

import (
	"strings"
	"testing"

	"pgafha/internal/ansible"
)

func TestValidateRefusesWhatWouldBreakAConfigFile(t *testing.T) {
	base := func() ansible.Params {
		return ansible.Params{"pgdata": "/pg", "pgport": 5432, "hostname": "10.0.0.1", "listen_addresses": "*",
			"auth": "scram-sha-256", "ssl": "self_signed"}
	}
	if err := Validate(base(), "the nodes"); err != nil {
		t.Fatalf("valid options refused: %v", err)
	}
	for option, bad := range map[string][]string{
		"hostname":         {"host'x", "a\nlisten_addresses = '*'", "h\x00", "h\"", `h\`},
		"listen_addresses": {"*'; ssl = off", "10.0.0.1\n", "\x00", ""},
	} {
		for _, v := range bad {
			p := base()
			p[option] = v
			if err := Validate(p, "the nodes"); err == nil || !strings.Contains(err.Error(), option) {
				t.Errorf("%s=%q: got %v, want an error naming %s", option, v, err, option)
			}
		}
	}
	p := base()
	p["listen_addresses"] = "10.0.0.1,127.0.0.1"
	if err := Validate(p, "the nodes"); err != nil {
		t.Errorf("a list of addresses refused: %v", err)
	}
}
