package failover

import (
	"crypto/tls"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestDirectConfigAimsAtOneNodeWithItsTLSSettings(t *testing.T) {
	probe, err := ProbeConfig("postgres://app:pw@10.66.0.11:5432,10.66.0.12:5433/app?sslmode=verify-full&sslrootcert=system")
	if err != nil {
		t.Skipf("no system CA pool here: %v", err)
	}
	for _, c := range []struct {
		node Node
		sni  string
	}{
		{Node{Name: "a", Host: "10.66.0.11", Port: 5432}, "10.66.0.11"},
		{Node{Name: "b", Host: "10.66.0.12", Port: 5433}, "10.66.0.12"},
	} {
		cfg := directConfig(probe, c.node)
		if cfg.Host != c.node.Host || int(cfg.Port) != c.node.Port || len(cfg.Fallbacks) != 0 {
			t.Errorf("%s: aimed at %s:%d with %d fallbacks", c.node.Name, cfg.Host, cfg.Port, len(cfg.Fallbacks))
		}
		if cfg.ValidateConnect != nil {
			t.Errorf("%s: a standby must be reachable, yet the read-write check stays", c.node.Name)
		}
		if cfg.TLSConfig == nil || cfg.TLSConfig.ServerName != c.sni {
			t.Errorf("%s: TLS %v, want server name %s verified", c.node.Name, cfg.TLSConfig, c.sni)
		}
		if cfg.User != "app" || cfg.Password != "pw" || cfg.Database != "app" {
			t.Errorf("%s: credentials %s/%s on %s", c.node.Name, cfg.User, cfg.Password, cfg.Database)
		}
	}
	if probe.ValidateConnect == nil || probe.Host != "10.66.0.11" {
		t.Error("directConfig changed the probe's own configuration")
	}
}

func TestDirectConfigKeepsPlainTLSForANodeTheURIDoesNotName(t *testing.T) {
	probe := &pgx.ConnConfig{}
	probe.Host, probe.Port = "10.66.0.11", 5432
	probe.TLSConfig = &tls.Config{InsecureSkipVerify: true}
	probe.RuntimeParams = map[string]string{}
	cfg := directConfig(probe, Node{Name: "c", Host: "10.66.0.13", Port: 5432})
	if cfg.Host != "10.66.0.13" || cfg.TLSConfig == nil || !cfg.TLSConfig.InsecureSkipVerify {
		t.Errorf("host %s, TLS %+v; want the probe's TLS settings", cfg.Host, cfg.TLSConfig)
	}
}
