package serve

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Metrics is a small registry of counters and gauges rendered in the
// Prometheus text exposition format (version 0.0.4). Vigil needs a dozen
// series, not a client library.
type Metrics struct {
	mu     sync.Mutex
	series map[string]*family
	order  []string
}

type family struct {
	name, help, kind string
	labels           []string
	values           map[string]float64 // joined label values -> value
	fn               func() map[string]float64
}

// NewMetrics returns an empty registry.
func NewMetrics() *Metrics { return &Metrics{series: map[string]*family{}} }

// Counter declares a counter family (idempotent) and returns a handle.
func (m *Metrics) Counter(name, help string, labels ...string) *Counter {
	return &Counter{m: m, f: m.declare(name, help, "counter", labels, nil)}
}

// GaugeFunc declares a gauge whose values are read at each scrape: fn
// returns joined label values (see Labels) to values.
func (m *Metrics) GaugeFunc(name, help string, labels []string, fn func() map[string]float64) {
	m.declare(name, help, "gauge", labels, fn)
}

func (m *Metrics) declare(name, help, kind string, labels []string, fn func() map[string]float64) *family {
	m.mu.Lock()
	defer m.mu.Unlock()
	if f, ok := m.series[name]; ok {
		return f
	}
	f := &family{name: name, help: help, kind: kind, labels: labels, values: map[string]float64{}, fn: fn}
	m.series[name] = f
	m.order = append(m.order, name)
	return f
}

// Labels joins label values into a key for GaugeFunc results.
func Labels(values ...string) string { return strings.Join(values, "\x00") }

// Counter is a counter family.
type Counter struct {
	m *Metrics
	f *family
}

// Add adds v to the series with the given label values (one per label).
func (c *Counter) Add(v float64, labelValues ...string) {
	c.m.mu.Lock()
	c.f.values[Labels(labelValues...)] += v
	c.m.mu.Unlock()
}

// Value returns a series' current value (for tests and the summary).
func (c *Counter) Value(labelValues ...string) float64 {
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	return c.f.values[Labels(labelValues...)]
}

// WriteTo renders every family in the text format.
func (m *Metrics) WriteTo(w io.Writer) (int64, error) {
	m.mu.Lock()
	fams := make([]*family, 0, len(m.order))
	for _, n := range m.order {
		fams = append(fams, m.series[n])
	}
	snap := make([]map[string]float64, len(fams))
	for i, f := range fams {
		if f.fn == nil {
			snap[i] = make(map[string]float64, len(f.values))
			for k, v := range f.values {
				snap[i][k] = v
			}
		}
	}
	m.mu.Unlock()
	var b strings.Builder
	for i, f := range fams {
		vals := snap[i]
		if f.fn != nil {
			vals = f.fn()
		}
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", f.name, escapeHelp(f.help), f.name, f.kind)
		keys := make([]string, 0, len(vals))
		for k := range vals {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if len(keys) == 0 && len(f.labels) == 0 {
			keys = []string{""}
		}
		for _, k := range keys {
			b.WriteString(f.name)
			if len(f.labels) > 0 {
				parts := strings.Split(k, "\x00")
				b.WriteByte('{')
				for j, l := range f.labels {
					if j > 0 {
						b.WriteByte(',')
					}
					v := ""
					if j < len(parts) {
						v = parts[j]
					}
					fmt.Fprintf(&b, "%s=\"%s\"", l, escapeLabel(v))
				}
				b.WriteByte('}')
			}
			b.WriteByte(' ')
			b.WriteString(formatValue(vals[k]))
			b.WriteByte('\n')
		}
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

func formatValue(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`).Replace(s)
}

func escapeHelp(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(s)
}
