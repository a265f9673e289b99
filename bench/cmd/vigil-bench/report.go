package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vigil-project/vigil/bench/gen"
)

type report struct {
	machine     machine
	cfg         config
	gen, raw    gen.Stats
	results     []result
	seedPlanted int
	corpus      string
	corpusRules string
	took        time.Duration
	// loadBefore and loadAfter are the 1-minute load average: other
	// processes on the machine skew wall times.
	loadBefore, loadAfter string
	revision              string // git commit measured
}

var header = []string{"step", "", "events", "seconds", "cpu s", "events/s", "MB/s", "allocs/event", "peak RSS MiB", "ratio", "cpu ratio", "alerts"}

// rows renders the results. ratio is events/s over the step's baseline's;
// cpu ratio the same with CPU time (user + system) instead of wall time:
// how much work an event costs, whatever the cores used or lost to other
// processes.
func (rp *report) rows() [][]string {
	var rows [][]string
	for _, r := range rp.results {
		title := r.title
		if r.id == "d" && rp.corpusRules != "" {
			title += " (" + rp.corpusRules + ")"
		}
		if r.skipped != "" {
			rows = append(rows, []string{r.id, title, "-", "-", "-", "-", "-", "-", "-", "-", "-", r.skipped})
			continue
		}
		if r.wall == 0 {
			rows = append(rows, []string{r.id, title, "-", "-", "-", "-", "-", "-", "-", "-", "-", r.note})
			continue
		}
		allocs, ratio, cpuRatio, alerts := "-", "1.00", "1.00", "-"
		if r.mallocs >= 0 && r.events > 0 {
			allocs = fmt.Sprintf("%.2f", float64(r.mallocs)/float64(r.events))
		}
		if r.base != "" {
			ratio, cpuRatio = "-", "-"
			if b := rp.find(r.base); b != nil {
				ratio = fmt.Sprintf("%.3f", r.rate()/b.rate())
				cpuRatio = fmt.Sprintf("%.3f", r.cpuRate()/b.cpuRate())
			}
		}
		if r.alerts >= 0 {
			alerts = fmt.Sprint(r.alerts)
		}
		rows = append(rows, []string{
			r.id, title, fmt.Sprint(r.events), fmt.Sprintf("%.2f", r.wall.Seconds()), fmt.Sprintf("%.2f", r.cpu.Seconds()),
			fmt.Sprintf("%.0f", r.rate()), fmt.Sprintf("%.1f", float64(r.bytes)/1e6/r.wall.Seconds()),
			allocs, fmt.Sprintf("%.1f", float64(r.maxRSS)/(1<<20)), ratio, cpuRatio, alerts,
		})
	}
	return rows
}

func (r *result) rate() float64 { return float64(r.events) / r.wall.Seconds() }

func (r *result) cpuRate() float64 { return float64(r.events) / r.cpu.Seconds() }

func (rp *report) find(id string) *result {
	for i := range rp.results {
		if r := &rp.results[i]; r.id == id && r.wall > 0 {
			return r
		}
	}
	return nil
}

// target is one of the project's performance goals, checked on this run.
type target struct {
	name   string
	want   string
	got    string
	met    bool
	absent bool // a step it needs did not run
}

func (rp *report) targets() []target {
	ratio := func(a, b string) (float64, bool) {
		x, y := rp.find(a), rp.find(b)
		if x == nil || y == nil {
			return 0, false
		}
		return x.rate() / y.rate(), true
	}
	var ts []target
	r, ok := ratio("b", "a")
	ts = append(ts, target{"seed rule alone (b) vs plain scan (a)", ">= 0.80", fmt.Sprintf("%.3f", r), r >= 0.8, !ok})
	r, ok = ratio("d", "a")
	ts = append(ts, target{"every corpus rule (d) vs plain scan (a)", ">= 0.50", fmt.Sprintf("%.3f", r), r >= 0.5, !ok})
	full, quarter := rp.find("c"), rp.find("m")
	t := target{name: "memory flat in input size: peak RSS of c (all events) / m (a quarter)", want: "<= 1.25", absent: full == nil || quarter == nil}
	if !t.absent {
		x := float64(full.maxRSS) / float64(quarter.maxRSS)
		t.got, t.met = fmt.Sprintf("%.2f (%.0f / %.0f MiB)", x, float64(full.maxRSS)/(1<<20), float64(quarter.maxRSS)/(1<<20)), x <= 1.25
	}
	ts = append(ts, t)
	// Issues #17's and #22's targets, on one core, as events per CPU
	// second (what a busy machine leaves alone): #17's against a full
	// parse of each line (a2, fastjson), against a, the one-field scan,
	// too.
	cpuRatio := func(a, b string) (float64, bool) {
		x, y := rp.find(a), rp.find(b)
		if x == nil || y == nil {
			return 0, false
		}
		return x.cpuRate() / y.cpuRate(), true
	}
	for _, c := range []struct {
		step, name string
		want       float64
	}{
		{"b1", "seed rule alone", 2},
		{"d1", "every corpus rule", 0.5},
		{"dk", "corpus KQL and EQL rules (#17)", 0.5},
	} {
		r, ok := cpuRatio(c.step, "a2")
		r2, _ := cpuRatio(c.step, "a")
		ts = append(ts, target{fmt.Sprintf("%s, 1 core, per CPU s: %s / a2 (fastjson) [/ a]", c.name, c.step),
			fmt.Sprintf(">= %.2f", c.want), fmt.Sprintf("%.3f [%.3f]", r, r2), r >= c.want, !ok})
	}
	for _, c := range []struct {
		step, base, name string
		want             float64
	}{
		{"e1", "e0", "normalize raw activity records", 0.3},
		{"es1", "es0", "normalize raw Entra ID sign-ins", 0.3},
		{"ea1", "ea0", "normalize raw Entra ID audit records", 0.3},
		{"hs", "hse", "Azure rules: raw sign-ins vs as ECS", 1},
		{"ha", "hae", "Azure rules: raw audit records vs as ECS", 1},
	} {
		r, ok := cpuRatio(c.step, c.base)
		ts = append(ts, target{fmt.Sprintf("%s, 1 core, per CPU s: %s / %s", c.name, c.step, c.base),
			fmt.Sprintf(">= %.2f", c.want), fmt.Sprintf("%.3f", r), r >= c.want, !ok})
	}
	r, ok = ratio("f2", "f1")
	ts = append(ts, target{"2 cores vs 1 core (f2 / f1)", ">= 1.70", fmt.Sprintf("%.2f", r), r >= 1.7, !ok})
	return ts
}

func (t target) shown() string {
	if t.absent {
		return "-"
	}
	return t.got
}

func (t target) verdict() string {
	switch {
	case t.absent:
		return "not measured"
	case t.met:
		return "met"
	}
	return "MISSED"
}

// checks are facts of the run worth a line: the seed rule found what was
// planted.
func (rp *report) checks() []string {
	var out []string
	if b := rp.find("b"); b != nil {
		word := "as planted"
		if b.alerts != rp.seedPlanted {
			word = "MISMATCH"
		}
		out = append(out, fmt.Sprintf("seed rule: %d alerts for %d successful Run Commands planted (%s)", b.alerts, rp.seedPlanted, word))
	}
	for _, r := range rp.results {
		if r.note != "" && r.wall > 0 {
			out = append(out, fmt.Sprintf("step %s: %s", r.id, r.note))
		}
	}
	return out
}

func (rp *report) print(w io.Writer) {
	m := rp.machine
	fmt.Fprintf(w, "\nVigil benchmark at %s: %d events (seed %d, %.0f bytes/event), %s, %d CPUs, %.1f GiB, %s/%s, %s\n\n",
		rp.rev(), rp.gen.Events, rp.cfg.seed, float64(rp.gen.Bytes)/float64(rp.gen.Events), m.cpu, m.cores, m.memGiB, m.os, m.arch, m.goVer)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, row := range rp.rows() {
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	tw.Flush()
	fmt.Fprintf(w, "\nload average before the run %s, after %s\n", rp.loadBefore, rp.loadAfter)
	fmt.Fprintln(w, "ratio: events/s over the baseline's (a; e0 for e); cpu ratio: the same per CPU second. Targets:")
	for _, t := range rp.targets() {
		fmt.Fprintf(w, "  %-72s want %-8s got %-26s %s\n", t.name, t.want, t.shown(), t.verdict())
	}
	for _, c := range rp.checks() {
		fmt.Fprintln(w, "  "+c)
	}
	fmt.Fprintf(w, "total %s\n", rp.took.Round(time.Second))
}

func (rp *report) rev() string {
	if rp.revision == "" {
		return "an unknown revision"
	}
	return rp.revision
}

func (rp *report) markdown() string {
	var b strings.Builder
	m := rp.machine
	fmt.Fprintf(&b, "# Vigil benchmark run\n\n")
	fmt.Fprintf(&b, "- machine: %s, %d logical CPUs, %.1f GiB memory, %s/%s\n", m.cpu, m.cores, m.memGiB, m.os, m.arch)
	fmt.Fprintf(&b, "- code: %s; Go: %s\n", rp.rev(), m.goVer)
	fmt.Fprintf(&b, "- data: %d events, seed %d, %.0f MB (%.0f bytes/event); %d raw Azure records (%.0f MB) for e\n",
		rp.gen.Events, rp.cfg.seed, float64(rp.gen.Bytes)/1e6, float64(rp.gen.Bytes)/float64(rp.gen.Events), rp.raw.Events, float64(rp.raw.Bytes)/1e6)
	if rp.corpus != "" {
		fmt.Fprintf(&b, "- corpus: %s (%s)\n", rp.corpus, rp.corpusRules)
	}
	fmt.Fprintf(&b, "- each step run %d time(s), fastest kept; whole run %s; load average before %s, after %s\n\n",
		rp.cfg.count, rp.took.Round(time.Second), rp.loadBefore, rp.loadAfter)
	b.WriteString("| " + strings.Join(header, " | ") + " |\n|")
	for i := range header {
		if i < 2 {
			b.WriteString(" --- |")
		} else {
			b.WriteString(" ---: |")
		}
	}
	b.WriteString("\n")
	for _, row := range rp.rows() {
		b.WriteString("| " + strings.Join(row, " | ") + " |\n")
	}
	b.WriteString("\nratio: events/s over the baseline's (a; e0 for e); cpu ratio: events per CPU second (user + system) over the baseline's.\n\n| target | want | got | verdict |\n| --- | --- | --- | --- |\n")
	for _, t := range rp.targets() {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", t.name, t.want, t.shown(), t.verdict())
	}
	if cs := rp.checks(); len(cs) > 0 {
		b.WriteString("\n")
		for _, c := range cs {
			fmt.Fprintf(&b, "- %s\n", c)
		}
	}
	return b.String()
}
