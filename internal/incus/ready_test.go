package incus

import "testing"

func TestReadinessNeedsRunningBootedAndAddress(t *testing.T) {
	ip := []string{"10.66.0.10"}
	cases := []struct {
		r    Readiness
		want bool
	}{
		{Readiness{Status: "Running", Systemd: "running", IPv4: ip}, true},
		{Readiness{Status: "Running", Systemd: "degraded", IPv4: ip}, true},
		{Readiness{Status: "Running", Systemd: "none", IPv4: ip}, true},
		{Readiness{Status: "Running", Systemd: "starting", IPv4: ip}, false},
		{Readiness{Status: "Running", Systemd: "", IPv4: ip}, false},
		{Readiness{Status: "Running", Systemd: "running"}, false},
		{Readiness{Status: "Stopped", Systemd: "running", IPv4: ip}, false},
	}
	for _, c := range cases {
		if got := c.r.ready(); got != c.want {
			t.Errorf("%s: ready=%v, want %v", c.r, got, c.want)
		}
	}
}
