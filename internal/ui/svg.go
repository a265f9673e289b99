package ui

import (
	"fmt"
	"time"

	"github.com/vigil-project/vigil/internal/state"
)

// A barChart is an SVG plot as the templates draw it: rectangles and text,
// with presentation attributes only (the CSP allows no inline style).
type barChart struct {
	Width, Height int
	Rects         []rect
	Labels        []label
	Empty         bool
}

type rect struct {
	X, Y, W, H  float64
	Fill, Title string
	URL         string // "" no link
}

type label struct {
	X, Y   float64
	Text   string
	Anchor string // start, middle, end
	URL    string
}

// bucketSizes are the widths a time plot's bars may take.
var bucketSizes = []time.Duration{time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
	7 * 24 * time.Hour, 30 * 24 * time.Hour, 365 * 24 * time.Hour}

// timeChart plots alerts over time, stacked by severity, in at most about
// 60 bars.
func timeChart(hours []state.HourCount, width, height int) *barChart {
	c := &barChart{Width: width, Height: height}
	if len(hours) == 0 {
		c.Empty = true
		return c
	}
	first, last := hours[0].Hour, hours[len(hours)-1].Hour
	size := bucketSizes[len(bucketSizes)-1]
	for _, b := range bucketSizes {
		if last.Sub(first)/b < 60 {
			size = b
			break
		}
	}
	start := first.Truncate(size)
	n := int(last.Sub(start)/size) + 1
	counts := make([]map[string]int, n)
	totals := make([]int, n)
	for _, h := range hours {
		i := int(h.Hour.Sub(start) / size)
		if counts[i] == nil {
			counts[i] = map[string]int{}
		}
		counts[i][h.Severity] += h.N
		totals[i] += h.N
	}
	peak := 1
	for _, t := range totals {
		peak = max(peak, t)
	}
	const left, bottom, top = 48.0, 20.0, 8.0
	plotW, plotH := float64(width)-left-8, float64(height)-bottom-top
	bw := plotW / float64(n)
	order := append(append([]string{}, "low", "medium", "high", "critical"), others(hours)...)
	for i := range n {
		y := top + plotH
		from := start.Add(time.Duration(i) * size)
		for _, sev := range order {
			k := counts[i][sev]
			if k == 0 {
				continue
			}
			h := plotH * float64(k) / float64(peak)
			y -= h
			fill := severityColor[sev]
			if fill == "" {
				fill = "#888888"
			}
			c.Rects = append(c.Rects, rect{X: left + float64(i)*bw + 0.5, Y: y, W: max(bw-1, 1), H: h, Fill: fill,
				Title: fmt.Sprintf("%s: %d %s", from.UTC().Format("2006-01-02 15:04"), k, sev)})
		}
	}
	c.Labels = append(c.Labels,
		label{X: left - 4, Y: top + 10, Text: fmt.Sprint(peak), Anchor: "end"},
		label{X: left - 4, Y: top + plotH, Text: "0", Anchor: "end"},
		label{X: left, Y: float64(height) - 4, Text: start.UTC().Format("2006-01-02 15:04"), Anchor: "start"},
		label{X: float64(width) - 8, Y: float64(height) - 4, Text: start.Add(time.Duration(n)*size).UTC().Format("2006-01-02 15:04") + " UTC, bars of " + sizeText(size), Anchor: "end"})
	return c
}

func sizeText(d time.Duration) string {
	switch {
	case d >= 365*24*time.Hour:
		return "a year"
	case d >= 30*24*time.Hour:
		return "30 days"
	case d >= 7*24*time.Hour:
		return "a week"
	case d >= 24*time.Hour:
		return "a day"
	case d == time.Hour:
		return "an hour"
	}
	if h := int(d.Hours()); h > 1 {
		return fmt.Sprintf("%d hours", h)
	}
	return "an hour"
}

// others are the severities outside the four known ones.
func others(hours []state.HourCount) []string {
	seen := map[string]bool{"low": true, "medium": true, "high": true, "critical": true}
	var out []string
	for _, h := range hours {
		if !seen[h.Severity] {
			seen[h.Severity] = true
			out = append(out, h.Severity)
		}
	}
	return out
}

type namedBar struct {
	Label, URL string
	N          int
}

// hbarChart draws one horizontal bar per value, labelled, largest first.
func hbarChart(bars []namedBar, width int) *barChart {
	const row = 22.0
	c := &barChart{Width: width, Height: int(row*float64(len(bars))) + 4}
	if len(bars) == 0 {
		c.Empty = true
		c.Height = 24
		return c
	}
	peak := 1
	for _, b := range bars {
		peak = max(peak, b.N)
	}
	labelW := float64(width) * 0.45
	plotW := float64(width) - labelW - 60
	for i, b := range bars {
		y := float64(i) * row
		text := b.Label
		if r := []rune(text); len(r) > 48 {
			text = string(r[:47]) + "…"
		}
		c.Labels = append(c.Labels, label{X: labelW - 6, Y: y + 15, Text: text, Anchor: "end", URL: b.URL},
			label{X: labelW + plotW*float64(b.N)/float64(peak) + 4, Y: y + 15, Text: fmt.Sprint(b.N), Anchor: "start"})
		c.Rects = append(c.Rects, rect{X: labelW, Y: y + 3, W: max(plotW*float64(b.N)/float64(peak), 1), H: row - 6,
			Fill: "#4c6ef5", Title: fmt.Sprintf("%s: %d", b.Label, b.N), URL: b.URL})
	}
	return c
}
