package placement

import (
	"strings"
	"testing"
)

func m(name, role, domain string) Member { return Member{Name: name, Role: role, Domain: domain} }

func TestCheck(t *testing.T) {
	cases := []struct {
		name    string
		members []Member
		want    []string // fragments of the error; nil: no error
	}{
		{"three hosts", []Member{m("mon", RoleMonitor, "a"), m("n1", RoleNode, "b"), m("n2", RoleNode, "c")}, nil},
		{"two nodes beside each other, monitor apart", []Member{m("mon", RoleMonitor, "a"), m("n1", RoleNode, "b"), m("n2", RoleNode, "b")},
			[]string{`n1 (node), n2 (node) share failure domain "b"`, "every data node"}},
		{"one host", []Member{m("mon", RoleMonitor, "local"), m("n1", RoleNode, "local"), m("n2", RoleNode, "local")},
			[]string{`mon (monitor), n1 (node), n2 (node) share failure domain "local"`, "loses the monitor"}},
		{"monitor beside a node", []Member{m("mon", RoleMonitor, "a"), m("n1", RoleNode, "a"), m("n2", RoleNode, "b")},
			[]string{`mon (monitor), n1 (node) share failure domain "a"`}},
		{"three nodes, two share", []Member{m("mon", RoleMonitor, "a"), m("n1", RoleNode, "b"), m("n2", RoleNode, "b"), m("n3", RoleNode, "c")}, nil},
		{"no domain", []Member{m("mon", RoleMonitor, ""), m("n1", RoleNode, "b")}, []string{"mon has no failure domain"}},
		{"no monitor", []Member{m("n1", RoleNode, "a"), m("n2", RoleNode, "b")}, []string{"one monitor, got 0"}},
		{"bad role", []Member{m("x", "witness", "a")}, []string{`role "witness"`}},
	}
	for _, c := range cases {
		err := Check(c.members)
		if c.want == nil {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: no error, want %q", c.name, c.want)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error lacks %q: %v", c.name, w, err)
			}
		}
	}
}

func TestDomains(t *testing.T) {
	d := Domains([]Member{m("n2", RoleNode, "b"), m("mon", RoleMonitor, "a"), m("n1", RoleNode, "b")})
	if len(d) != 2 || strings.Join(d["b"], ",") != "n1,n2" || d["a"][0] != "mon" {
		t.Errorf("Domains = %v", d)
	}
}
