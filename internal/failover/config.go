package failover

import (
	"time"

	"github.com/jackc/pgx/v5"
)

// Scenarios a cycle can inject.
const (
	// ScenarioStop force-stops the primary's instance: a failover must follow.
	ScenarioStop = "stop"
	// ScenarioFreeze pauses the primary's instance briefly: no failover
	// should follow.
	ScenarioFreeze = "freeze"
	// ScenarioKill SIGKILLs the primary's postmaster inside its running
	// instance: writes must resume, whether pg_autoctl restarts PostgreSQL
	// in place or the monitor promotes the standby.
	ScenarioKill = "kill"
	// ScenarioStandbyLoss force-stops the standby's instance: commits wait
	// for it until the monitor lets the primary go on alone (wait_primary);
	// no failover may follow.
	ScenarioStandbyLoss = "standby_loss"
	// ScenarioMonitorLoss force-stops the monitor's instance for DownFor:
	// no write may fail and no role may change.
	ScenarioMonitorLoss = "monitor_loss"
	// ScenarioPartition cuts the primary off from the monitor and the
	// standbys (the host still reaches it): a failover must follow, and
	// the cut-off primary must not accept writes once the standby does.
	ScenarioPartition = "partition"
	// ScenarioMonitorPartition cuts only the monitor off from the primary
	// for DownFor; whether pg_auto_failover fails over is reported, not
	// required: writes must go on or resume, with no split brain.
	ScenarioMonitorPartition = "monitor_partition"
	// ScenarioHostLoss force-stops, at once, every instance in the failure
	// domain of the primary's instance (its Incus host): a failover must
	// follow, and the host's instances come back together when restarted.
	ScenarioHostLoss = "host_loss"
)

// Scenarios lists every scenario, for option checks and documentation.
var Scenarios = []string{ScenarioStop, ScenarioFreeze, ScenarioKill, ScenarioStandbyLoss, ScenarioMonitorLoss,
	ScenarioPartition, ScenarioMonitorPartition, ScenarioHostLoss}

// Config is what every cycle of a run shares.
type Config struct {
	Scenario  string
	RTOTarget time.Duration
	// PromotionWait bounds the wait for a promotion (beyond the target, so
	// that a missed target still reports the real figure).
	PromotionWait time.Duration
	RejoinTimeout time.Duration
	FreezeFor     time.Duration
	// Settle is how long after the fault is over (a freeze resumed, writes
	// back after a kill) a cycle keeps watching for a late failover
	// decision before judging the formation.
	Settle time.Duration
	// DownFor is how long monitor_loss keeps the monitor stopped, and
	// monitor_partition the monitor cut off.
	DownFor time.Duration
	Restart bool
	// Probe is the parsed formation URI; nil disables the write probe.
	Probe *pgx.ConnConfig
	// Instance maps a node name to the Incus instance that runs it.
	Instance func(node string) Instance
	// HostOf lists the instances that share inst's failure domain, inst
	// among them (host_loss).
	HostOf func(inst Instance) []Instance
	// MonitorInstance runs the monitor (monitor_loss; its addresses also
	// join the monitor's side of a partition).
	MonitorInstance Instance
	// Network cuts paths between lab addresses (partition scenarios).
	Network      Network
	MonitorHosts []string
	PollEvery    time.Duration
	// ProbeInterval and ProbeAttemptTimeout pace the write probe.
	ProbeInterval       time.Duration
	ProbeAttemptTimeout time.Duration
}

// Result is one cycle's report.
type Result struct {
	Cycle      int      `json:"cycle"`
	Scenario   string   `json:"scenario"`
	Outcome    string   `json:"outcome"`
	Failures   []string `json:"failures,omitempty"`
	OldPrimary string   `json:"old_primary,omitempty"`
	NewPrimary string   `json:"new_primary,omitempty"`
	Instance   string   `json:"instance,omitempty"`
	Stopped    bool     `json:"stopped"`
	// FaultApplied: the fault was requested (the cycle changed something).
	FaultApplied   bool     `json:"fault_applied"`
	Restored       bool     `json:"restored"`
	FaultAPISecs   *float64 `json:"fault_api_seconds,omitempty"`
	RTO            *float64 `json:"rto_seconds"`
	WriteOutage    *float64 `json:"write_outage_seconds"`
	OutageServers  []string `json:"write_outage_servers,omitempty"`
	Acknowledged   int      `json:"acknowledged_commits"`
	Lost           int      `json:"lost_commits"`
	LostSeqs       []int64  `json:"lost_seqs,omitempty"`
	Unknown        int      `json:"unknown_commits"`
	UnknownLanded  int      `json:"unknown_commits_landed"`
	FailedAttempts int      `json:"failed_attempts"`
	Verified       bool     `json:"verified"`
	// WriteWindows are the spans during which each data node, reached
	// directly, accepted writes; SplitBrain lists any two that overlap.
	WriteWindows []WindowReport `json:"write_windows"`
	SplitBrain   []string       `json:"split_brain"`
	// Acks and Marks draw the cycle: acknowledged commits per 100 ms, and
	// the moments (seconds from the fault) of what happened.
	Acks        *Histogram         `json:"acks_per_100ms,omitempty"`
	Marks       map[string]float64 `json:"marks,omitempty"`
	Rejoin      *float64           `json:"rejoin_seconds"`
	Timeline    []Event            `json:"timeline"`
	Incidents   []Incident         `json:"probe_incidents,omitempty"`
	ProbeErrors []string           `json:"probe_errors,omitempty"`
	Notes       []string           `json:"notes,omitempty"`
}
