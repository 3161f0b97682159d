package main

import (
	"fmt"
	"strings"

	"pgafha/internal/ansible"
)

func report(m *ansible.Module, o options, s seen, want, done plan) {
	res := &m.Result
	shown := done
	if m.CheckMode() {
		shown = want
	}
	before, after := map[string]any{}, map[string]any{}
	var acts []string
	if shown.localtime {
		acts = append(acts, "link /etc/localtime to "+o.timezone)
		before["localtime"], after["localtime"] = s.localtime, s.zoneTarget
	}
	if shown.timezone {
		acts = append(acts, "write /etc/timezone")
		before["timezone"], after["timezone"] = strings.TrimSpace(s.timezone), o.timezone
	}
	if shown.locale {
		acts = append(acts, "write /etc/default/locale")
		before["locale"], after["locale"] = strings.TrimSpace(s.locale), "LANG="+o.locale
	}
	for _, c := range shown.startConf {
		acts = append(acts, fmt.Sprintf("set start.conf of cluster %s to disabled", c))
		before["start.conf "+c.String()], after["start.conf "+c.String()] = startConfOf(s, c), "disabled"
	}
	for _, c := range shown.stop {
		acts = append(acts, "stop "+c.unit())
	}
	for _, c := range shown.disable {
		acts = append(acts, "disable "+c.unit())
	}
	res.Changed = len(acts) > 0
	missing := shown.missing
	if missing == nil {
		missing = []string{}
	}
	res.Set("missing_packages", missing)
	if o.timezone != "" {
		res.Set("timezone", o.timezone)
	}
	if o.locale != "" {
		res.Set("locale", o.locale)
	}
	switch {
	case len(acts) == 0:
		res.Msg = "host baseline is as asked"
	case m.CheckMode():
		res.Msg = "would " + strings.Join(acts, "; ")
	default:
		res.Msg = strings.Join(acts, "; ")
	}
	if len(missing) > 0 {
		res.Msg += "; packages not installed: " + strings.Join(missing, ", ")
	}
	if len(before) > 0 {
		res.SetDiff(ansible.Diff{Before: before, After: after})
	}
}

func startConfOf(s seen, c cluster) string {
	for _, cs := range s.clusters {
		if cs.cluster == c && cs.startConf != "" {
			return strings.TrimSpace(cs.startConf)
		}
	}
	return "(missing)"
}
