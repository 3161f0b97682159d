"""Summarise scripts/bench-failover.sh results: one Markdown row per
scenario (and monitor-settings label), and optionally one SVG timeline per
scenario, drawn from its median-outage cycle.

usage: failover_table.py WORKDIR DATE MACHINE SETTINGS SVGDIR LABEL...
Results are WORKDIR/LABEL-SCENARIO-K.json, the module's JSON results.
"""
import glob
import json
import math
import os
import re
import sys

ORDER = ["stop", "kill", "partition", "monitor_partition", "standby_loss", "monitor_loss", "freeze", "host_loss"]
WHAT = {
    "stop": "hard stop of the primary's container",
    "kill": "SIGKILL of the primary's postmaster",
    "partition": "primary cut off from monitor and standby",
    "monitor_partition": "monitor cut off from the primary",
    "standby_loss": "hard stop of the standby's container",
    "monitor_loss": "hard stop of the monitor's container",
    "freeze": "primary paused (no failover expected)",
    "host_loss": "every container of the primary's Incus host stopped at once",
}


def pct(values, p):
    """Nearest-rank percentile."""
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    return values[max(0, math.ceil(p / 100 * len(values)) - 1)]


def spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return "n/a"
    return f"{pct(values, 50):.2f} / {pct(values, 95):.2f} / {max(values):.2f}"


def cycles_of(work, label):
    out = {}
    for path in sorted(glob.glob(f"{work}/{label}-*.json")):
        m = re.match(rf"{re.escape(label)}-(.+)-\d+\.json$", os.path.basename(path))
        if not m:
            continue
        try:
            result = json.load(open(path))
        except (OSError, ValueError):
            continue
        out.setdefault(m.group(1), []).extend(result.get("cycles") or [])
    return out


def svg(scenario, c):
    """A picture of one cycle: commits per 100 ms, what happened when, and
    below, one lane per data node with the windows in which it acknowledged
    writes to the split-brain watcher (overlaps in red)."""
    acks = c.get("acks_per_100ms") or {}
    counts, start, bucket = acks.get("counts") or [], acks.get("from", 0), acks.get("bucket", 0.1)
    marks = dict(c.get("marks") or {})
    if c.get("rto_seconds") is not None:
        marks["rto"] = c["rto_seconds"]
    windows = c.get("write_windows") or []
    nodes = sorted({w["node"] for w in windows})
    width, left, right, top = 900, 110, 20, 84
    plot_bottom = 230
    lanes_top = plot_bottom + 34
    height = lanes_top + 18 * len(nodes) + 24
    end = start + bucket * max(len(counts), 1)
    for v in list(marks.values()) + [w["to"] for w in windows]:
        end = max(end, v)
    span = max(end - start, 1)
    peak = max(counts + [1])

    def x(t):
        return left + (t - start) / span * (width - left - right)

    def y(n):
        return plot_bottom - n / peak * (plot_bottom - top)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
             f'<rect width="{width}" height="{height}" fill="white"/>',
             f'<text x="10" y="16" font-size="13">{scenario}: {WHAT.get(scenario, "")} — commits acknowledged per 100 ms '
             f'(cycle {c.get("cycle")}, outcome {c.get("outcome")}, {c.get("lost_commits", 0)} lost)</text>',
             f'<text x="10" y="{(top + plot_bottom) / 2:.0f}">commits</text>']
    for i, n in enumerate(counts):
        t = start + i * bucket
        parts.append(f'<rect x="{x(t):.1f}" y="{y(n):.1f}" width="{max(x(t + bucket) - x(t) - 0.5, 0.5):.1f}" '
                     f'height="{plot_bottom - y(n):.1f}" fill="#4a7bd0"/>')
    parts.append(f'<line x1="{left}" y1="{plot_bottom}" x2="{width - right}" y2="{plot_bottom}" stroke="black"/>')
    tick = 1 if span <= 20 else 5 if span <= 100 else 10
    t = math.ceil(start / tick) * tick
    while t <= end:
        parts.append(f'<text x="{x(t):.1f}" y="{plot_bottom + 14}" text-anchor="middle">{t:g} s</text>')
        t += tick
    colours = {"fault": "#c00", "rto": "#080", "first_ack_after": "#0a0", "last_ack_before": "#c60",
               "restored": "#05a", "healed": "#808"}
    labels = {"fault": "fault", "rto": "RTO", "first_ack_after": "first write after", "last_ack_before": "last write before",
              "restored": "fault undone", "healed": "healed"}
    row = 0
    for name, t in sorted(marks.items(), key=lambda kv: kv[1]):
        if name not in colours:
            continue
        label_y = 32 + 12 * (row % 4)
        anchor, dx = ("end", -3) if x(t) > width - 160 else ("start", 3)
        parts.append(f'<line x1="{x(t):.1f}" y1="{label_y + 2}" x2="{x(t):.1f}" y2="{height - 24}" stroke="{colours[name]}" stroke-dasharray="4 3"/>')
        parts.append(f'<text x="{x(t) + dx:.1f}" y="{label_y}" text-anchor="{anchor}" fill="{colours[name]}">{labels[name]} {t:+.2f} s</text>')
        row += 1
    if nodes:
        parts.append(f'<text x="10" y="{lanes_top - 8}">each node, reached directly, acknowledging writes:</text>')
    overlaps = []
    for a in windows:
        for b in windows:
            if a["node"] < b["node"] and a["from"] <= b["to"] and b["from"] <= a["to"]:
                overlaps.append((max(a["from"], b["from"]), min(a["to"], b["to"])))
    for i, node in enumerate(nodes):
        lane = lanes_top + 18 * i
        parts.append(f'<text x="10" y="{lane + 10}">{node}</text>')
        for w in (w for w in windows if w["node"] == node):
            parts.append(f'<rect x="{x(w["from"]):.1f}" y="{lane}" width="{max(x(w["to"]) - x(w["from"]), 1.5):.1f}" height="12" fill="#7a5"/>')
    for lo, hi in overlaps:
        parts.append(f'<rect x="{x(lo):.1f}" y="{lanes_top - 2}" width="{max(x(hi) - x(lo), 1.5):.1f}" '
                     f'height="{18 * len(nodes) + 2}" fill="#c00" fill-opacity="0.4"/>')
    for sb in c.get("split_brain") or []:
        parts.append(f'<text x="10" y="{height - 6}" fill="#c00">SPLIT BRAIN: {sb}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main():
    work, date, machine, settings, svgdir, labels = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6:]
    print(f"\nFailover fault matrix, {date}, {machine}")
    print(f"Monitor settings in effect (ms): {settings}")
    print("Probe: one commit every 10 ms through the formation URI (1 s commit timeout, reconnecting like a pool); "
          "split-brain watcher: a write on each data node directly every 0.1 s. Figures in seconds, p50 / p95 / max.\n")
    print("| settings | scenario | passed | RTO | write outage | rejoin | acknowledged / lost / unknown commits | split-brain windows |")
    print("|---|---|---|---|---|---|---|---|")
    for label in labels:
        by = cycles_of(work, label)
        for scenario in sorted(by, key=lambda s: ORDER.index(s) if s in ORDER else 99):
            cs = by[scenario]
            passed = sum(1 for c in cs if c.get("outcome") in ("passed", "ridden_out"))
            name = "role" if label == "current" else "pg_auto_failover defaults"
            print(f"| {name} | {scenario} ({WHAT.get(scenario, '')}) | {passed}/{len(cs)} "
                  f"| {spread(c.get('rto_seconds') for c in cs)} | {spread(c.get('write_outage_seconds') for c in cs)} "
                  f"| {spread(c.get('rejoin_seconds') for c in cs)} "
                  f"| {sum(c.get('acknowledged_commits', 0) for c in cs)} / {sum(c.get('lost_commits', 0) for c in cs)} "
                  f"/ {sum(c.get('unknown_commits', 0) for c in cs)} | {sum(len(c.get('split_brain') or []) for c in cs)} |")
            if svgdir and label == "current" and cs:
                os.makedirs(svgdir, exist_ok=True)
                ranked = sorted(cs, key=lambda c: (c.get("write_outage_seconds") is None, c.get("write_outage_seconds") or 0))
                pick = ranked[(len([c for c in ranked if c.get("write_outage_seconds") is not None]) - 1) // 2] if ranked else cs[0]
                with open(os.path.join(svgdir, f"failover-{scenario}.svg"), "w") as f:
                    f.write(svg(scenario, pick))


main()
