package cli

import (
	"bufio"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/vigil-project/vigil/internal/alert"
	"github.com/vigil-project/vigil/internal/engine"
	"github.com/vigil-project/vigil/internal/event"
)

// Output formats of hunt's alerts.
var alertFormats = []string{"table", "ndjson", "json", "csv"}

// alertColumn is a column of the table and CSV outputs.
type alertColumn struct {
	name   string // as --columns names it
	header string // the table's header
	value  func(a engine.Alert, csv bool) string
}

// reasonWidth is how many characters of kibana.alert.reason the table
// shows; NDJSON, JSON and CSV have it whole.
const reasonWidth = 72

// alertColumns are the named columns; any other --columns name is a field
// of the alert document (process.command_line, kibana.alert.uuid, ...).
var alertColumns = []alertColumn{
	{"time", "TIME (UTC)", func(a engine.Alert, csv bool) string {
		if a.EventTime.IsZero() {
			return "-"
		}
		if csv {
			return a.EventTime.UTC().Format("2006-01-02T15:04:05.000Z")
		}
		return a.EventTime.UTC().Format("2006-01-02 15:04:05")
	}},
	{"severity", "SEVERITY", func(a engine.Alert, _ bool) string { _, s, _ := alert.Headline(a.Doc); return s }},
	{"risk_score", "RISK", func(a engine.Alert, _ bool) string { _, _, r := alert.Headline(a.Doc); return fmt.Sprint(r) }},
	{"rule", "RULE", func(a engine.Alert, _ bool) string { n, _, _ := alert.Headline(a.Doc); return n }},
	{"rule_id", "RULE ID", func(a engine.Alert, _ bool) string { return field(a.Doc, "kibana.alert.rule.rule_id") }},
	{"user", "USER", func(a engine.Alert, _ bool) string { return field(a.Doc, "user.name") }},
	{"source", "SOURCE", func(a engine.Alert, _ bool) string { return field(a.Doc, "source.ip", "source.address") }},
	{"host", "HOST", func(a engine.Alert, _ bool) string { return field(a.Doc, "host.name", "host.hostname") }},
	{"resource", "RESOURCE", func(a engine.Alert, _ bool) string {
		return field(a.Doc, "azure.resource.name", "cloud.resource_id", "host.name")
	}},
	{"tactic", "TACTIC", func(a engine.Alert, _ bool) string { return mitre(a, false) }},
	{"technique", "MITRE", func(a engine.Alert, _ bool) string { return mitre(a, true) }},
	{"reason", "REASON", func(a engine.Alert, csv bool) string {
		r := field(a.Doc, "kibana.alert.reason")
		if csv {
			return r
		}
		return shorten(r, reasonWidth)
	}},
	{"id", "ALERT ID", func(a engine.Alert, _ bool) string { return a.ID }},
}

// Default columns: the table's keep the order of earlier versions, MITRE
// before the reason.
var (
	tableColumns = []string{"time", "severity", "rule", "user", "source", "resource", "technique", "reason"}
	csvColumns   = []string{"time", "severity", "risk_score", "rule", "rule_id", "tactic", "technique", "user", "source", "host", "resource", "reason", "id"}
)

// parseColumns reads --columns: names of alertColumns or alert document
// fields, comma-separated.
func parseColumns(s string, def []string) ([]alertColumn, error) {
	names := def
	if strings.TrimSpace(s) != "" {
		names = nil
		for _, n := range strings.Split(s, ",") {
			if n = strings.TrimSpace(n); n != "" {
				names = append(names, n)
			}
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("--columns %q: no column named", s)
		}
	}
	var cols []alertColumn
	for _, n := range names {
		cols = append(cols, columnNamed(n))
	}
	return cols, nil
}

func columnNamed(n string) alertColumn {
	for _, c := range alertColumns {
		if c.name == n {
			return c
		}
	}
	return alertColumn{name: n, header: strings.ToUpper(n), value: func(a engine.Alert, _ bool) string { return field(a.Doc, n) }}
}

// columnNames lists the named columns, for -h and errors.
func columnNames() string {
	var names []string
	for _, c := range alertColumns {
		names = append(names, c.name)
	}
	return strings.Join(names, ", ")
}

// mitre returns the rule's ATT&CK technique ids (subtechniques where the
// rule names them: T1059.001), or its tactics' names, comma-separated.
func mitre(a engine.Alert, techniques bool) string {
	var threat any
	if a.Rule != nil {
		threat = a.Rule.Alert.Threat
	}
	if threat == nil {
		threat = a.Doc["kibana.alert.rule.threat"]
	}
	entries, _ := threat.([]any)
	var out []string
	add := func(s string) {
		for _, o := range out {
			if o == s {
				return
			}
		}
		out = append(out, s)
	}
	for _, e := range entries {
		m, _ := e.(map[string]any)
		if !techniques {
			if t, ok := m["tactic"].(map[string]any); ok {
				if name, _ := t["name"].(string); name != "" {
					add(name)
				}
			}
			continue
		}
		techs, _ := m["technique"].([]any)
		for _, t := range techs {
			tm, _ := t.(map[string]any)
			subs, _ := tm["subtechnique"].([]any)
			for _, s := range subs {
				if id, _ := s.(map[string]any)["id"].(string); id != "" {
					add(id)
				}
			}
			if len(subs) == 0 {
				if id, _ := tm["id"].(string); id != "" {
					add(id)
				}
			}
		}
	}
	if len(out) == 0 {
		return "-"
	}
	return strings.Join(out, ",")
}

// shorten cuts s to n characters, ending with "…" when cut.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimRight(string(r[:n-1]), " ") + "…"
}

// alertStream writes alerts as they come: NDJSON, a JSON array, or CSV.
type alertStream interface {
	write(a engine.Alert) error
	flush() error // what is buffered, after each chunk of input
	close() error // the end of the output (JSON's ']', CSV's header if no alert)
}

func newAlertStream(format string, w io.Writer, cols []alertColumn) alertStream {
	out := bufio.NewWriterSize(w, 64<<10)
	switch format {
	case "json":
		return &jsonStream{out: out}
	case "csv":
		return &csvStream{out: out, w: csv.NewWriter(out), cols: cols}
	}
	return &ndjsonStream{out: out}
}

// ndjsonStream writes one alert document a line.
type ndjsonStream struct {
	out *bufio.Writer
	// One buffer for every alert's encoding: an alert is 10 to 20 KB, and
	// a fresh buffer grown for each cost more than the encoding.
	enc []byte
}

func (s *ndjsonStream) write(a engine.Alert) error {
	b, err := event.AppendJSON(s.enc[:0], a.Doc)
	if err != nil {
		return err
	}
	s.enc = b
	s.out.Write(b)
	return s.out.WriteByte('\n')
}

func (s *ndjsonStream) flush() error { return s.out.Flush() }
func (s *ndjsonStream) close() error { return s.out.Flush() }

// jsonStream writes a single JSON array of alert documents, an element a
// line, without holding them.
type jsonStream struct {
	out *bufio.Writer
	enc []byte
	n   int
}

func (s *jsonStream) write(a engine.Alert) error {
	b, err := event.AppendJSON(s.enc[:0], a.Doc)
	if err != nil {
		return err
	}
	s.enc = b
	if s.n == 0 {
		s.out.WriteString("[\n")
	} else {
		s.out.WriteString(",\n")
	}
	s.n++
	_, err = s.out.Write(b)
	return err
}

func (s *jsonStream) flush() error { return s.out.Flush() }

func (s *jsonStream) close() error {
	if s.n == 0 {
		s.out.WriteString("[]\n")
	} else {
		s.out.WriteString("\n]\n")
	}
	return s.out.Flush()
}

// csvStream writes a header line, then a row per alert (RFC 4180).
type csvStream struct {
	out    *bufio.Writer
	w      *csv.Writer
	cols   []alertColumn
	header bool
	row    []string
}

func (s *csvStream) writeHeader() error {
	s.header = true
	row := make([]string, len(s.cols))
	for i, c := range s.cols {
		row[i] = c.name
	}
	return s.w.Write(row)
}

func (s *csvStream) write(a engine.Alert) error {
	if !s.header {
		if err := s.writeHeader(); err != nil {
			return err
		}
	}
	s.row = s.row[:0]
	for _, c := range s.cols {
		s.row = append(s.row, c.value(a, true))
	}
	return s.w.Write(s.row)
}

func (s *csvStream) flush() error {
	s.w.Flush()
	if err := s.w.Error(); err != nil {
		return err
	}
	return s.out.Flush()
}

func (s *csvStream) close() error {
	if !s.header {
		if err := s.writeHeader(); err != nil {
			return err
		}
	}
	return s.flush()
}

// severityColor is the ANSI colour of a severity in the table.
var severityColor = map[string]string{
	"critical": "\033[1;31m", // bold red
	"high":     "\033[31m",   // red
	"medium":   "\033[33m",   // yellow
	"low":      "\033[36m",   // cyan
}

// useColor decides whether the table is coloured: --color always or
// never; auto colours a table written to a terminal's stdout unless the
// NO_COLOR environment variable is set to anything but "" (no-color.org).
func useColor(mode string, toTerminal bool, getenv func(string) string) bool {
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	return toTerminal && getenv("NO_COLOR") == ""
}

// writeAlertTable writes the alerts as an aligned table, building-block
// alerts left out unless showBBR; it returns how many it left out. The
// widths are counted in characters, so that colour codes do not skew them.
func writeAlertTable(w io.Writer, rows []engine.Alert, cols []alertColumn, showBBR, color bool) (hidden int, err error) {
	cells := [][]string{make([]string, len(cols))}
	for i, c := range cols {
		cells[0][i] = c.header
	}
	var sevs []string
	for _, a := range rows {
		if _, bbr := a.Doc["kibana.alert.building_block_type"]; bbr && !showBBR {
			hidden++
			continue
		}
		row := make([]string, len(cols))
		for i, c := range cols {
			row[i] = printable(c.value(a, false))
		}
		cells = append(cells, row)
		_, sev, _ := alert.Headline(a.Doc)
		sevs = append(sevs, strings.ToLower(sev))
	}
	widths := make([]int, len(cols))
	for _, row := range cells {
		for i, c := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	bw := bufio.NewWriter(w)
	for r, row := range cells {
		on := ""
		if color && r > 0 {
			on = severityColor[sevs[r-1]]
		}
		for i, c := range row {
			last := i == len(row)-1
			if on != "" && cols[i].name == "severity" {
				bw.WriteString(on + c + "\033[0m")
			} else {
				bw.WriteString(c)
			}
			if !last {
				bw.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+2))
			}
		}
		bw.WriteByte('\n')
	}
	return hidden, bw.Flush()
}

// printable replaces the control characters of s (newlines, tabs, and the
// escape sequences an attacker may have planted in a logged field to
// rewrite the analyst's terminal) with a space, for the table.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
}

// stdoutColor is what useColor reads of the process.
func stdoutColor(mode string, env *Env, toStdout bool) bool {
	return useColor(mode, toStdout && env.IsTerminal, os.Getenv)
}

// outputFlags are hunt's output flags.
type outputFlags struct {
	format, columns, color string
}

func addOutputFlags(fs *flag.FlagSet, o *outputFlags) {
	fs.StringVar(&o.format, "format", "", "output `FORMAT`: table, ndjson, json (one array) or csv (default: table on a terminal, else ndjson)")
	fs.StringVar(&o.columns, "columns", "", "table and csv: the `COLUMNS`, comma-separated: "+columnNames()+
		", or any field of the alert document (e.g. process.command_line); default table: "+
		strings.Join(tableColumns, ",")+"; csv: "+strings.Join(csvColumns, ","))
	fs.StringVar(&o.color, "color", "auto", "colour the table's severities: auto (on a terminal, unless NO_COLOR is set), always or never")
}

// check validates the flags' values.
func (o *outputFlags) check() error {
	if o.format != "" && !slices.Contains(alertFormats, o.format) {
		return fmt.Errorf("--format %q: use table, ndjson, json or csv", o.format)
	}
	if o.color != "auto" && o.color != "always" && o.color != "never" {
		return fmt.Errorf("--color %q: use auto, always or never", o.color)
	}
	if o.columns != "" {
		if o.format == "ndjson" || o.format == "json" {
			return fmt.Errorf("--columns: %s output has whole alert documents; columns are for --format table or csv", o.format)
		}
		if _, err := parseColumns(o.columns, nil); err != nil {
			return err
		}
	}
	return nil
}

// cols returns the columns of the table or the CSV output.
func (o *outputFlags) cols(table bool) []alertColumn {
	def := csvColumns
	if table {
		def = tableColumns
	}
	cols, _ := parseColumns(o.columns, def)
	return cols
}
