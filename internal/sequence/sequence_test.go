package sequence

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-project/vigil/internal/ecs"
	"github.com/vigil-project/vigil/internal/eql"
	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/match"
)

// testSchema types the fields of the table tests.
var testSchema = ecs.NewSchema(map[string]ecs.Type{
	"@timestamp":     ecs.Date,
	"event.category": ecs.Keyword,
	"id":             ecs.Keyword,
	"tag":            ecs.Keyword,
	"k":              ecs.Keyword,
	"k2":             ecs.Keyword,
	"n":              ecs.Long,
	"tb":             ecs.Long,
	"ip":             ecs.IP,
})

// ev writes a test event: category, time (ms), id, then field=value pairs
// (a value that parses as a number stays one).
func ev(cat string, ms int, id string, kv ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `{"@timestamp":%d,"event":{"category":%q},"id":%q`, ms, cat, id)
	for i := 0; i+1 < len(kv); i += 2 {
		v := kv[i+1]
		if _, err := strconv.Atoi(v); err == nil {
			fmt.Fprintf(&b, `,%q:%s`, kv[i], v)
		} else {
			fmt.Fprintf(&b, `,%q:%q`, kv[i], strings.Trim(v, `"`))
		}
	}
	b.WriteString("}")
	return b.String()
}

// run runs query over events given in order and returns each result as its
// event ids ("-" at a missing step) and join keys: "a b | k".
func run(t *testing.T, query string, opts Options, size int, tail bool, events ...string) []string {
	t.Helper()
	st, err := eql.Parse(query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	if opts.Schema == nil {
		opts.Schema = testSchema
	}
	q, err := Compile(st, opts)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	sel := q.NewSelection(size, tail)
	if q.IsSample() {
		s, _ := q.NewSampler()
		for _, e := range events {
			s.Push(event.New([]byte(e), q.Plan()), nil)
		}
		sel.Add(s.Flush()...)
	} else {
		m, _ := q.NewSequenceMatcher()
		for _, e := range events {
			rs, err := m.Push(event.New([]byte(e), q.Plan()), nil)
			if err != nil {
				t.Fatalf("%s: %v", e, err)
			}
			sel.Add(rs...)
		}
		sel.Add(m.Flush()...)
	}
	var out []string
	for _, r := range sel.Results() {
		out = append(out, format(r))
	}
	return out
}

func format(r *Result) string {
	var ids []string
	for _, h := range r.Events {
		if h == nil {
			ids = append(ids, "-")
			continue
		}
		v := event.New(h.Raw, nil).Get("id")
		ids = append(ids, v[0].Str)
	}
	s := strings.Join(ids, " ")
	if len(r.JoinKeys) > 0 {
		var ks []string
		for _, k := range r.JoinKeys {
			ks = append(ks, fmt.Sprint(k))
		}
		s += " | " + strings.Join(ks, ",")
	}
	return s
}

func TestSequences(t *testing.T) {
	tests := []struct {
		name   string
		query  string
		events []string
		want   []string
		size   int
		tail   bool
		opts   Options
	}{
		{
			name:  "two steps",
			query: `sequence [process where tag == "a"] [file where tag == "b"]`,
			events: []string{
				ev("process", 1, "1", "tag", "a"),
				ev("file", 2, "2", "tag", "b"),
				ev("file", 3, "3", "tag", "b"),
			},
			want: []string{"1 2"},
		},
		{
			name:  "a newer sequence replaces the older at its stage",
			query: `sequence [process where tag == "a"] [file where tag == "b"]`,
			events: []string{
				ev("process", 1, "1", "tag", "a"),
				ev("process", 2, "2", "tag", "a"),
				ev("file", 3, "3", "tag", "b"),
				ev("process", 4, "4", "tag", "a"),
				ev("file", 5, "5", "tag", "b"),
			},
			want: []string{"2 3", "4 5"},
		},
		{
			name:  "one event serves two stages, never twice in a sequence",
			query: `sequence [any where tag == "a"] [any where tag == "a"] [any where tag == "a"]`,
			events: []string{
				ev("x", 1, "1", "tag", "a"),
				ev("x", 2, "2", "tag", "a"),
				ev("x", 3, "3", "tag", "a"),
				ev("x", 4, "4", "tag", "a"),
				ev("x", 5, "5", "tag", "a"),
			},
			// 1 2 3; then 2 3 4 from the sequences 3 left behind; 3 4 5.
			want: []string{"1 2 3", "2 3 4", "3 4 5"},
		},
		{
			name:  "sequence by joins on the key",
			query: `sequence by k [process where true] [file where true]`,
			events: []string{
				ev("process", 1, "1", "k", "x"),
				ev("process", 2, "2", "k", "y"),
				ev("file", 3, "3", "k", "x"),
				ev("file", 4, "4", "k", "z"),
				ev("file", 5, "5", "k", "y"),
			},
			want: []string{"1 3 | x", "2 5 | y"},
		},
		{
			name:  "per-step by on different fields",
			query: `sequence [process where true] by k [file where true] by k2`,
			events: []string{
				ev("process", 1, "1", "k", "x"),
				ev("file", 2, "2", "k", "x"),
				ev("file", 3, "3", "k2", "x"),
			},
			want: []string{"1 3 | x"},
		},
		{
			name:  "sequence by and per-step by together",
			query: `sequence by k [process where true] by n [file where true] by n`,
			events: []string{
				ev("process", 1, "1", "k", "x", "n", "7"),
				ev("file", 2, "2", "k", "x", "n", "8"),
				ev("file", 3, "3", "k", "y", "n", "7"),
				ev("file", 4, "4", "k", "x", "n", "7"),
			},
			want: []string{"1 4 | x,7"},
		},
		{
			name:  "a keyword does not join a number",
			query: `sequence [process where true] by k [file where true] by n`,
			events: []string{
				ev("process", 1, "1", "k", "7"),
				ev("file", 2, "2", "n", "7"),
			},
		},
		{
			name:  "ip keys in their canonical form",
			query: `sequence [process where true] by ip [file where true] by ip`,
			events: []string{
				ev("process", 1, "1", "ip", "::ffff:10.0.0.1"),
				ev("file", 2, "2", "ip", "10.0.0.1"),
			},
			want: []string{"1 2 | 10.0.0.1"},
		},
		{
			name:  "a null key does not join",
			query: `sequence by k [process where true] [file where true]`,
			events: []string{
				ev("process", 1, "1"),
				ev("file", 2, "2"),
			},
		},
		{
			name:  "an optional key may be null, and null joins null",
			query: `sequence by ?k [process where true] [file where true]`,
			events: []string{
				ev("process", 1, "1"),
				ev("file", 2, "2", "k", "x"),
				ev("file", 3, "3"),
			},
			want: []string{"1 3 | <nil>"},
		},
		{
			name:  "maxspan from the first event",
			query: `sequence with maxspan=10ms [process where true] [file where true] [network where true]`,
			events: []string{
				ev("process", 0, "1"),
				ev("file", 5, "2"),
				ev("network", 11, "3"),
				ev("process", 20, "4"),
				ev("file", 25, "5"),
				ev("network", 30, "6"),
			},
			want: []string{"4 5 6"},
		},
		{
			name:  "maxspan is inclusive",
			query: `sequence with maxspan=1s [process where true] [file where true]`,
			events: []string{
				ev("process", 0, "1"),
				ev("file", 1000, "2"),
			},
			want: []string{"1 2"},
		},
		{
			name:  "runs repeats a step",
			query: `sequence by k [process where true] with runs=3 [file where true]`,
			events: []string{
				ev("process", 1, "1", "k", "x"),
				ev("process", 2, "2", "k", "x"),
				ev("file", 3, "3", "k", "x"),
				ev("process", 4, "4", "k", "x"),
				ev("file", 5, "5", "k", "x"),
			},
			want: []string{"1 2 4 5 | x"},
		},
		{
			name:  "until drops the key's pending sequences",
			query: `sequence by k [process where tag == "start"] [file where true] until [process where tag == "stop"]`,
			events: []string{
				ev("process", 1, "1", "k", "x", "tag", "start"),
				ev("process", 2, "2", "k", "y", "tag", "start"),
				ev("process", 3, "3", "k", "x", "tag", "stop"),
				ev("file", 4, "4", "k", "x"),
				ev("file", 5, "5", "k", "y"),
			},
			want: []string{"2 5 | y"},
		},
		{
			name:  "until does not undo a completed sequence",
			query: `sequence by k [process where tag == "start"] [file where true] until [file where tag == "stop"]`,
			events: []string{
				ev("process", 1, "1", "k", "x", "tag", "start"),
				ev("file", 2, "2", "k", "x", "tag", "stop"),
			},
			want: []string{"1 2 | x"},
		},
		{
			name:  "equal timestamps: the tiebreaker orders",
			query: `sequence [any where tag == "a"] [any where tag == "b"]`,
			opts:  Options{TiebreakerField: "tb"},
			events: []string{
				ev("x", 1, "1", "tag", "a", "tb", "1"),
				ev("x", 1, "2", "tag", "b", "tb", "2"),
			},
			want: []string{"1 2"},
		},
		{
			name:  "equal timestamps and tiebreakers: arrival orders",
			query: `sequence [any where tag == "a"] [any where tag == "b"]`,
			events: []string{
				ev("x", 1, "1", "tag", "a"),
				ev("x", 1, "2", "tag", "b"),
			},
			want: []string{"1 2"},
		},
		{
			name:  "results in order of their last event",
			query: `sequence by k [process where true] [file where true]`,
			events: []string{
				ev("process", 1, "1", "k", "x"),
				ev("process", 2, "2", "k", "y"),
				ev("file", 3, "3", "k", "y"),
				ev("file", 4, "4", "k", "x"),
			},
			want: []string{"2 3 | y", "1 4 | x"},
		},
		{
			name:  "size at the head",
			query: `sequence by k [process where true] [file where true]`,
			size:  1,
			events: []string{
				ev("process", 1, "1", "k", "x"),
				ev("file", 2, "2", "k", "x"),
				ev("process", 3, "3", "k", "y"),
				ev("file", 4, "4", "k", "y"),
			},
			want: []string{"1 2 | x"},
		},
		{
			name:  "size at the tail",
			query: `sequence by k [process where true] [file where true]`,
			size:  1,
			tail:  true,
			events: []string{
				ev("process", 1, "1", "k", "x"),
				ev("file", 2, "2", "k", "x"),
				ev("process", 3, "3", "k", "y"),
				ev("file", 4, "4", "k", "y"),
			},
			want: []string{"3 4 | y"},
		},
		{
			name:  "tail pipe then head pipe",
			query: `sequence by k [process where true] [file where true] | tail 2 | head 1`,
			events: []string{
				ev("process", 1, "1", "k", "x"),
				ev("file", 2, "2", "k", "x"),
				ev("process", 3, "3", "k", "y"),
				ev("file", 4, "4", "k", "y"),
				ev("process", 5, "5", "k", "z"),
				ev("file", 6, "6", "k", "z"),
			},
			want: []string{"3 4 | y"},
		},
		{
			// Elasticsearch puts a limit of size in the first pipe's
			// direction under that pipe: tail 3 of size 2 is the last 2.
			name:  "size under a tail pipe",
			query: `sequence by k [process where true] [file where true] | tail 3`,
			size:  2,
			events: []string{
				ev("process", 1, "1", "k", "x"),
				ev("file", 2, "2", "k", "x"),
				ev("process", 3, "3", "k", "y"),
				ev("file", 4, "4", "k", "y"),
				ev("process", 5, "5", "k", "z"),
				ev("file", 6, "6", "k", "z"),
			},
			want: []string{"3 4 | y", "5 6 | z"},
		},
		{
			// The pipe decides the direction, not the result position.
			name:  "head pipe with a tail position",
			query: `sequence by k [process where true] [file where true] | head 5`,
			size:  1,
			tail:  true,
			events: []string{
				ev("process", 1, "1", "k", "x"),
				ev("file", 2, "2", "k", "x"),
				ev("process", 3, "3", "k", "y"),
				ev("file", 4, "4", "k", "y"),
			},
			want: []string{"1 2 | x"},
		},
		{
			name:  "tail pipe then head pipe, size under both",
			query: `sequence by k [process where true] [file where true] | tail 3 | head 1`,
			size:  2,
			events: []string{
				ev("process", 1, "1", "k", "x"),
				ev("file", 2, "2", "k", "x"),
				ev("process", 3, "3", "k", "y"),
				ev("file", 4, "4", "k", "y"),
				ev("process", 5, "5", "k", "z"),
				ev("file", 6, "6", "k", "z"),
			},
			want: []string{"3 4 | y"},
		},
		{
			name:  "missing event in between",
			query: `sequence by k with maxspan=1s [process where true] ![network where true] [file where true]`,
			events: []string{
				ev("process", 1, "1", "k", "x"),
				ev("process", 2, "2", "k", "y"),
				ev("network", 3, "3", "k", "x"),
				ev("file", 4, "4", "k", "x"),
				ev("file", 5, "5", "k", "y"),
			},
			want: []string{"2 - 5 | y"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			size := tt.size
			if size == 0 {
				size = 50
			}
			got := run(t, tt.query, tt.opts, size, tt.tail, tt.events...)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestSamples(t *testing.T) {
	got := run(t, `sample by k [process where true] [file where true]`, Options{}, 50, false,
		ev("file", 1, "1", "k", "b"),
		ev("process", 2, "2", "k", "b"),
		ev("process", 3, "3", "k", "a"),
		ev("file", 4, "4", "k", "a"),
		ev("process", 5, "5", "k", "c"),
		ev("file", 6, "6"),
		ev("process", 7, "7"),
	)
	// In key order, events in step order (not time order); null keys of a
	// non-optional field take no part.
	want := []string{"3 4 | a", "2 1 | b"}
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	got = run(t, `sample by ?k [any where true] [any where true]`, Options{}, 50, false,
		ev("x", 1, "1", "k", "b"),
		ev("x", 2, "2"),
		ev("x", 3, "3"),
		ev("x", 4, "4", "k", "b"),
	)
	if want := []string{"2 3 | <nil>", "1 4 | b"}; !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	// One event cannot fill two steps.
	got = run(t, `sample by k [any where true] [any where true]`, Options{}, 50, false, ev("x", 1, "1", "k", "b"))
	if len(got) != 0 {
		t.Errorf("got %q, want none", got)
	}
}

func TestCompileErrors(t *testing.T) {
	for _, tt := range []struct{ query, want string }{
		{`sequence [process where true] by k [file where true]`, "1:36: inconsistent number of join keys: 0 here, 1 in the first step"},
		{`sequence [process where true] [file where true] | count`, "1:51: pipe count is not supported (Elasticsearch runs head and tail)"},
		{`sequence ![process where true] ![file where true]`, "1:1: a sequence needs at least one step that is not a missing event"},
		{`sequence [process where n == "a"] [file where true]`, "1:"},
	} {
		st, err := eql.Parse(tt.query)
		if err != nil {
			t.Fatalf("%s: %v", tt.query, err)
		}
		_, err = Compile(st, Options{Schema: testSchema})
		var ce *match.CompileError
		if !errors.As(err, &ce) || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %s", tt.query, err, tt.want)
		}
	}
}

func TestOrderAndBounds(t *testing.T) {
	st, _ := eql.Parse(`sequence by k [process where true] [file where true]`)
	q, err := Compile(st, Options{Schema: testSchema, MaxKeys: 2})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := q.NewSequenceMatcher()
	push := func(e string) error {
		_, err := m.Push(event.New([]byte(e), q.Plan()), nil)
		return err
	}
	if err := push(ev("process", 5, "1", "k", "a")); err != nil {
		t.Fatal(err)
	}
	if err := push(ev("process", 4, "2", "k", "a")); !errors.Is(err, ErrOutOfOrder) {
		t.Errorf("out of order: %v", err)
	}
	if err := push(`{"event":{"category":"process"},"k":"a"}`); !errors.Is(err, ErrNoTimestamp) {
		t.Errorf("no timestamp: %v", err)
	}
	for i, k := range []string{"b", "c", "d"} {
		if err := push(ev("process", 6+i, k, "k", k)); err != nil {
			t.Fatal(err)
		}
	}
	st2 := m.Stats()
	if st2.Keys != 2 || st2.Dropped != 2 || st2.OutOfOrder != 1 || st2.NoTime != 1 || st2.Pending != 2 {
		t.Errorf("stats %+v", st2)
	}
}

func TestMaxspanFreesState(t *testing.T) {
	st, _ := eql.Parse(`sequence by k with maxspan=1s [process where true] [file where true]`)
	q, err := Compile(st, Options{Schema: testSchema})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := q.NewSequenceMatcher()
	for i := range 10000 {
		e := ev("process", i*10, "x", "k", fmt.Sprint(i))
		if _, err := m.Push(event.New([]byte(e), q.Plan()), nil); err != nil {
			t.Fatal(err)
		}
	}
	// 10 events a second, one key each: about 100 keys live in a second,
	// and the collector runs at most every 4096 events.
	if s := m.Stats(); s.Keys > 4096+200 || s.Pending > 4096+200 {
		t.Errorf("state not bounded by maxspan: %+v", s)
	}
	if rs := m.Advance(int64(1e15)); len(rs) != 0 || m.Stats().Keys != 0 || m.Stats().Pending != 0 {
		t.Errorf("after advance: %d results, %+v", len(rs), m.Stats())
	}
}

// TestStreaming checks what a live stream sees: sequences come out of Push
// as they complete, and one waiting for a trailing missing-event step comes
// out once its window has passed (on a later event or Advance), not only at
// Flush.
func TestStreaming(t *testing.T) {
	st, _ := eql.Parse(`sequence by k with maxspan=10ms [process where true] [file where true] ![network where true]`)
	q, err := Compile(st, Options{Schema: testSchema})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := q.NewSequenceMatcher()
	push := func(e string) []string {
		rs, err := m.Push(event.New([]byte(e), q.Plan()), nil)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rs {
			out = append(out, format(r))
		}
		return out
	}
	for _, step := range []struct {
		event string
		want  []string
	}{
		{ev("process", 0, "1", "k", "x"), nil},
		{ev("file", 2, "2", "k", "x"), nil}, // complete, waits for a network event within 10ms of 0
		{ev("process", 3, "3", "k", "y"), nil},
		{ev("file", 4, "4", "k", "y"), nil},
		{ev("network", 5, "5", "k", "y"), nil},                    // y discarded
		{ev("process", 11, "6", "k", "x"), []string{"1 2 - | x"}}, // x's window passed
	} {
		if got := push(step.event); !slices.Equal(got, step.want) {
			t.Errorf("after %s: got %q, want %q", step.event, got, step.want)
		}
	}
	if got := push(ev("file", 12, "7", "k", "x")); len(got) != 0 {
		t.Errorf("got %q", got)
	}
	rs := m.Advance(23e6)
	if len(rs) != 1 || format(rs[0]) != "6 7 - | x" {
		t.Errorf("advance: %d results", len(rs))
	}
	if s := m.Stats(); s.Discarded != 1 || s.Pending != 0 {
		t.Errorf("stats %+v", s)
	}
}

// TestSampleSearchBounded: twelve steps sharing eleven events have no
// distinct choice; the search gives up at its bound instead of trying 11^12
// combinations.
func TestSampleSearchBounded(t *testing.T) {
	var steps []string
	for range 12 {
		steps = append(steps, "[any where true]")
	}
	var events []string
	for i := range 11 {
		events = append(events, ev("x", i, fmt.Sprint(i), "k", "a"))
	}
	st, err := eql.Parse("sample by k " + strings.Join(steps, " "))
	if err != nil {
		t.Fatal(err)
	}
	q, err := Compile(st, Options{Schema: testSchema})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := q.NewSampler()
	for _, e := range events {
		s.Push(event.New([]byte(e), q.Plan()), nil)
	}
	if rs := s.Flush(); len(rs) != 0 || s.Stats().Dropped != 1 {
		t.Errorf("%d samples, stats %+v", len(rs), s.Stats())
	}
}
