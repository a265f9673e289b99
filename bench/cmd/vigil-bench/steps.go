package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-project/vigil/bench/gen"
)

// step is one measured command.
type step struct {
	id, title string
	bin       string
	args      []string
	env       []string // added to the environment
	events    int      // expected; hunt steps take vigil's own count
	bytes     int64    // input size on disk
	base      string   // the step its events/s is compared with
	skipped   string   // why it did not run
}

// result is the fastest run of a step.
type result struct {
	step
	wall, cpu time.Duration
	maxRSS    int64 // bytes
	mallocs   int64 // -1: not reported
	alerts    int   // -1: not a hunt
	note      string
}

type runner struct {
	c           config
	root        string
	vigil, scan string
	corpusRules string
	results     []result

	// Raw Entra ID files of the es and ea steps ("" when not selected).
	rawSignIn, rawAudit     string
	rawSignInSt, rawAuditSt gen.Stats
}

func (r *runner) steps(events, raw string, shards, docs []string, corpus, corpusNote string, st, rawSt gen.Stats) {
	size := fileSize(events)
	hunt := func(rules ...string) []string {
		args := []string{"hunt"}
		for _, p := range rules {
			args = append(args, "--rules", p)
		}
		return append(args, "--format", "ndjson", "--out", os.DevNull, "--progress=false")
	}
	one := []string{"GOMAXPROCS=1"}
	byLang := corpusByLanguage(corpus)
	var shardBytes int64
	for _, s := range shards {
		shardBytes += fileSize(s)
	}
	all := []step{
		{id: "a", title: "plain JSON scan (baseline)", bin: r.scan, args: []string{events}, events: st.Events, bytes: size},
		{id: "a2", title: "fastjson parse of each line", bin: r.scan, args: []string{"-parser", "fastjson", events}, events: st.Events, bytes: size, base: "a"},
		{id: "b", title: "hunt: seed rule alone", bin: r.vigil, args: append(hunt(seedRule), events), events: st.Events, bytes: size, base: "a"},
		{id: "c", title: "hunt: built-in pack", bin: r.vigil, args: append(hunt(), events), events: st.Events, bytes: size, base: "a"},
		{id: "d", title: "hunt: Elastic's corpus", bin: r.vigil, args: append(hunt(corpus), events), events: st.Events, bytes: size, base: "a"},
		{id: "b1", title: "hunt: seed rule, GOMAXPROCS=1", bin: r.vigil, args: append(hunt(seedRule), events), env: one, events: st.Events, bytes: size, base: "a"},
		{id: "b0", title: "b1 without the line prefilter", bin: r.vigil, args: append(hunt(seedRule), events), env: append(one, "VIGIL_LINE_FILTER=off"), events: st.Events, bytes: size, base: "a"},
		{id: "d1", title: "hunt: corpus, GOMAXPROCS=1", bin: r.vigil, args: append(hunt(corpus), events), env: one, events: st.Events, bytes: size, base: "a"},
		{id: "dq", title: "d1, the corpus's KQL rules only", bin: r.vigil, args: append(hunt(byLang["kuery"]...), events), env: one, events: st.Events, bytes: size, base: "a"},
		{id: "dk", title: "d1, the corpus's KQL and EQL rules (no ES|QL)", bin: r.vigil, args: append(hunt(append(byLang["kuery"], byLang["eql"]...)...), events), env: one, events: st.Events, bytes: size, base: "a"},
		{id: "dk2", title: "dk on 2 cores", bin: r.vigil, args: append(hunt(append(byLang["kuery"], byLang["eql"]...)...), events), events: st.Events, bytes: size, base: "a"},
		{id: "de", title: "d1, the corpus's EQL rules only", bin: r.vigil, args: append(hunt(byLang["eql"]...), events), env: one, events: st.Events, bytes: size, base: "a"},
		{id: "dx", title: "d1 without the rule index", bin: r.vigil, args: append(hunt(corpus), events), env: append(one, "VIGIL_RULE_INDEX=off"), events: st.Events, bytes: size, base: "a"},
		{id: "e0", title: "plain JSON scan, raw Azure file", bin: r.scan, args: []string{"-field", "records.operationName", raw}, events: rawSt.Events, bytes: fileSize(raw)},
		{id: "e", title: "normalize: raw Azure file", bin: r.vigil, args: []string{"normalize", raw}, events: rawSt.Events, bytes: fileSize(raw), base: "e0"},
		{id: "e1", title: "e, GOMAXPROCS=1", bin: r.vigil, args: []string{"normalize", raw}, env: one, events: rawSt.Events, bytes: fileSize(raw), base: "e0"},
		{id: "f1", title: "hunt: pack, 4 files, GOMAXPROCS=1", bin: r.vigil, args: append(hunt(), shards...), env: []string{"GOMAXPROCS=1"}, events: st.Events, bytes: shardBytes, base: "a"},
		{id: "f2", title: "hunt: pack, 4 files, GOMAXPROCS=2", bin: r.vigil, args: append(hunt(), shards...), env: []string{"GOMAXPROCS=2"}, events: st.Events, bytes: shardBytes, base: "a"},
		{id: "m", title: "hunt: pack, 1/4 of the input", bin: r.vigil, args: append(hunt(), shards[0]), bytes: fileSize(shards[0]), base: "a"},
	}
	for _, x := range []struct {
		id, what, path string
		st             gen.Stats
	}{{"es", "Entra ID sign-in", r.rawSignIn, r.rawSignInSt}, {"ea", "Entra ID audit", r.rawAudit, r.rawAuditSt}} {
		if x.path == "" {
			continue
		}
		n, b := x.st.Events, fileSize(x.path)
		all = append(all,
			step{id: x.id + "0", title: "plain JSON scan, raw " + x.what + " file", bin: r.scan, args: []string{"-field", "records.operationName", x.path}, events: n, bytes: b},
			step{id: x.id, title: "normalize: raw " + x.what + " file", bin: r.vigil, args: []string{"normalize", x.path}, events: n, bytes: b, base: x.id + "0"},
			step{id: x.id + "1", title: x.id + ", GOMAXPROCS=1", bin: r.vigil, args: []string{"normalize", x.path}, env: one, events: n, bytes: b, base: x.id + "0"})
		// Elastic's Azure rules over the raw records and over the same
		// records as ECS documents (vigil normalize's output): is hunting
		// raw exports as cheap as hunting what the integration indexed?
		h := "h" + x.id[1:]
		if r.c.only != nil && !r.c.only[h] && !r.c.only[h+"e"] {
			continue
		}
		azureRules := filepath.Join(corpus, "integrations", "azure")
		if corpus == "" || !isDir(azureRules) {
			r.skip(h, "hunt: Elastic's Azure rules, raw "+x.what+" file", "no detection-rules corpus with integrations/azure")
			continue
		}
		ecs := strings.TrimSuffix(x.path, ".ndjson") + ".ecs.ndjson"
		if err := r.normalizeTo(x.path, ecs); err != nil {
			r.skip(h, "hunt: Elastic's Azure rules, raw "+x.what+" file", err.Error())
			continue
		}
		all = append(all,
			step{id: h + "e", title: "hunt: Elastic's Azure rules, " + x.what + " as ECS, GOMAXPROCS=1", bin: r.vigil, args: append(hunt(azureRules), ecs), env: one, events: n, bytes: fileSize(ecs)},
			step{id: h, title: "hunt: Elastic's Azure rules, raw " + x.what + ", GOMAXPROCS=1 (vs " + h + "e)", bin: r.vigil, args: append(hunt(azureRules), x.path), env: one, events: n, bytes: b, base: h + "e"})
	}
	if len(docs) == 2 {
		// The same events as one document: ratios to c, the NDJSON hunt.
		all = append(all,
			step{id: "j", title: "hunt: pack, one JSON array (vs c)", bin: r.vigil, args: append(hunt(), docs[0]), events: st.Events, bytes: fileSize(docs[0]), base: "c"},
			step{id: "k", title: "hunt: pack, one envelope (vs c)", bin: r.vigil, args: append(hunt(), docs[1]), events: st.Events, bytes: fileSize(docs[1]), base: "c"})
	}
	for _, s := range all {
		if r.c.only != nil && !r.c.only[s.id] {
			continue
		}
		if strings.HasPrefix(s.id, "d") && corpus == "" {
			r.skip(s.id, s.title, corpusNote)
			continue
		}
		r.measure(s)
		if r.c.before != "" && s.bin == r.vigil && len(s.args) > 0 && (s.args[0] == "hunt" || s.args[0] == "normalize") {
			b := s
			b.id, b.title, b.bin = s.id+"@before", s.title+" (-before binary)", r.c.before
			for _, x := range all {
				if x.id == s.base && x.bin == r.vigil {
					b.base = s.base + "@before" // a vigil step as base: the earlier binary's run of it
				}
			}
			r.measure(b)
		}
	}
}

// corpusByLanguage lists the corpus's rule files by their query language
// ("kuery", "eql", ...; a rule without one, such as machine learning, is
// left out), read from the language line of each file.
func corpusByLanguage(dir string) map[string][]string {
	out := map[string][]string{}
	if dir == "" {
		return out
	}
	lang := regexp.MustCompile(`(?m)^language\s*=\s*"([^"]+)"`)
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".toml") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		if m := lang.FindSubmatch(b); m != nil {
			out[string(m[1])] = append(out[string(m[1])], path)
		}
		return nil
	})
	return out
}

func (r *runner) skip(id, title, why string) {
	logf("step %s (%s): %s", id, title, why)
	r.results = append(r.results, result{step: step{id: id, title: title, skipped: why}, mallocs: -1, alerts: -1})
}

// measure runs s c.count times and keeps the fastest run.
func (r *runner) measure(s step) {
	var best *result
	for i := range r.c.count {
		res, err := r.once(s)
		if err != nil {
			logf("step %s (%s), run %d: %v", s.id, s.title, i+1, err)
			r.results = append(r.results, result{step: s, mallocs: -1, alerts: -1, note: "failed: " + firstLine(err.Error())})
			return
		}
		if best == nil || res.wall < best.wall {
			best = &res
		}
	}
	logf("step %-2s %-36s %8.2f s  %s", s.id, s.title, best.wall.Seconds(), best.note)
	r.results = append(r.results, *best)
}

var (
	statsLine = regexp.MustCompile(`vigil-runtime-stats mallocs=(\d+)`)
	huntLine  = regexp.MustCompile(`vigil hunt: read (\d+) events? from \d+ files?(?:, (\d+) bad records?)?[^;]*; (\d+) alert`)
)

func (r *runner) once(s step) (result, error) {
	cmd := exec.Command(s.bin, s.args...)
	cmd.Dir = r.root
	cmd.Env = append(append(os.Environ(), "VIGIL_RUNTIME_STATS=1"), s.env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr // stdout: the null device
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	res := result{step: s, wall: wall, mallocs: -1, alerts: -1}
	if cmd.ProcessState == nil {
		return res, err
	}
	res.maxRSS, res.cpu = usage(cmd.ProcessState)
	out := stderr.String()
	if m := statsLine.FindStringSubmatch(out); m != nil {
		res.mallocs, _ = strconv.ParseInt(m[1], 10, 64)
	}
	isHunt := len(s.args) > 0 && s.args[0] == "hunt"
	if isHunt {
		m := huntLine.FindStringSubmatch(out)
		if m == nil {
			return res, fmt.Errorf("exit %v, no summary in its output:\n%s", err, tail(out, 20))
		}
		n, _ := strconv.Atoi(m[1])
		res.alerts, _ = strconv.Atoi(m[3])
		if m[2] != "" {
			res.note = m[2] + " bad records; "
		}
		if s.events != 0 && n != s.events {
			res.note += fmt.Sprintf("vigil read %d events, %d generated; ", n, s.events)
		}
		res.events = n
		// Exit 1 with a summary is "some rule or input failed, the rest
		// ran": the corpus has rules vigil reports and skips.
		if err != nil && cmd.ProcessState.ExitCode() != 1 {
			return res, fmt.Errorf("%v:\n%s", err, tail(out, 20))
		}
		if skipped := skippedRules(out); skipped > 0 {
			res.note += fmt.Sprintf("%d rules skipped as unsupported; ", skipped)
		}
	} else if err != nil {
		return res, fmt.Errorf("%v:\n%s", err, tail(out, 20))
	}
	res.note = strings.TrimSuffix(res.note, "; ")
	return res, nil
}

var skippedLine = regexp.MustCompile(`(?m)^\s*rules skipped: (\d+)`)

func skippedRules(out string) int {
	n := 0
	for _, m := range skippedLine.FindAllStringSubmatch(out, -1) {
		k, _ := strconv.Atoi(m[1])
		n += k
	}
	return n
}

// countRunnable asks `vigil rules validate` how many rules of dir run.
func (r *runner) countRunnable(dir string) string {
	cmd := exec.Command(r.vigil, "rules", "validate", dir)
	out, _ := cmd.CombinedOutput()
	m := regexp.MustCompile(`(\d+) rules?, (\d+) runnable`).FindStringSubmatch(string(out))
	if m == nil {
		return ""
	}
	return m[2] + " of " + m[1] + " rules runnable"
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// normalizeTo writes vigil normalize's output for raw to path.
func (r *runner) normalizeTo(raw, path string) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	cmd := exec.Command(r.vigil, "normalize", raw)
	cmd.Stdout = out
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("vigil normalize %s: %v: %s", raw, err, firstLine(stderr.String()))
	}
	return nil
}

func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}
