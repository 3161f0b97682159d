package ansible

import "maps"

// Result is the JSON object a module returns.
type Result struct {
	Changed  bool
	Msg      string
	failed   bool
	skipped  bool
	warnings []string
	diff     *Diff
	values   map[string]any
}

// Diff is what `--diff` shows; headers label the two sides.
type Diff struct {
	Before       any    `json:"before"`
	After        any    `json:"after"`
	BeforeHeader string `json:"before_header,omitempty"`
	AfterHeader  string `json:"after_header,omitempty"`
}

// reserved keys belong to the protocol; modules cannot overwrite them.
var reserved = map[string]bool{
	"changed": true, "failed": true, "msg": true, "diff": true, "warnings": true,
	"invocation": true, "skipped": true, "rc": true,
}

func (r *Result) init() { r.values = map[string]any{} }

// Set adds a module-specific return value. Values are marshalled to JSON and
// then scrubbed of secrets, so any JSON-encodable value is accepted.
func (r *Result) Set(key string, value any) {
	if reserved[key] {
		key = "module_" + key
	}
	if r.values == nil {
		r.init()
	}
	r.values[key] = value
}

// Get returns a value set earlier (tests and summaries use it).
func (r *Result) Get(key string) any { return r.values[key] }

// Warn adds a warning Ansible renders in yellow.
func (r *Result) Warn(msg string) { r.warnings = append(r.warnings, msg) }

// Fail marks the result failed with msg.
func (r *Result) Fail(msg string) {
	r.failed = true
	r.Msg = msg
}

// Failed reports whether the result is marked failed.
func (r *Result) Failed() bool { return r.failed }

// Skip marks the result skipped (e.g. nothing to do in a mode).
func (r *Result) Skip(msg string) {
	r.skipped = true
	r.Msg = msg
}

// SetDiff records before/after; it is emitted only in diff mode.
func (r *Result) SetDiff(d Diff) { r.diff = &d }

func (r *Result) build(diffMode bool) map[string]any {
	out := maps.Clone(r.values)
	if out == nil {
		out = map[string]any{}
	}
	out["changed"] = r.Changed
	if r.failed {
		out["failed"] = true
	}
	if r.skipped {
		out["skipped"] = true
	}
	if r.Msg != "" {
		out["msg"] = r.Msg
	}
	if len(r.warnings) > 0 {
		out["warnings"] = r.warnings
	}
	if diffMode && r.diff != nil {
		out["diff"] = r.diff
	}
	return out
}
