package kafka

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestNewRejectsBadOptions(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	ok := Options{Brokers: []string{"localhost:9092"}, Topics: []string{"t"}, Group: "g"}
	for _, tc := range []struct {
		name   string
		change func(*Options)
		want   string
	}{
		{"no brokers", func(o *Options) { o.Brokers = nil }, "no brokers"},
		{"empty broker", func(o *Options) { o.Brokers = []string{""} }, "no brokers"},
		{"no topics", func(o *Options) { o.Topics = nil }, "no topics"},
		{"no group", func(o *Options) { o.Group = "" }, "no consumer group"},
		{"start offset", func(o *Options) { o.StartOffset = "newest" }, `start offset "newest": want earliest or latest`},
		{"negative batch", func(o *Options) { o.MaxBatchRecords = -1 }, "cannot be negative"},
		{"mechanism", func(o *Options) { o.SASL = SASL{Mechanism: "SCRAM-SHA-256", Username: "u", Password: "p"} }, `SASL mechanism "SCRAM-SHA-256" is not supported`},
		{"no password", func(o *Options) { o.SASL = SASL{Mechanism: "PLAIN", Username: "u"} }, "needs a username and a password"},
		{"missing CA file", func(o *Options) { o.CAFile = filepath.Join(dir, "missing.pem") }, "CA file: open"},
		{"CA file not PEM", func(o *Options) { o.CAFile = notPEM }, "no PEM certificate in it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := ok
			tc.change(&o)
			_, err := New(o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v, want an error containing %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "kafka input kafka:") {
				t.Errorf("error %q does not name the input", err)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	in, err := New(Options{Brokers: []string{"localhost:9092"}, Topics: []string{"a", "b"}, Group: "g", StartOffset: "Latest", SASL: SASL{Mechanism: "plain", Username: "u", Password: "p"}})
	if err != nil {
		t.Fatal(err)
	}
	o := in.opts
	got := fmt.Sprintf("%s %s %d %v %v", in.Name(), o.ClientID, o.MaxBatchRecords, o.DrainTimeout, o.RetryBackoff)
	if want := "kafka:a,b vigil 500 30s 1s"; got != want {
		t.Errorf("defaults %q, want %q", got, want)
	}
}

func TestEventHubs(t *testing.T) {
	const conn = "Endpoint=sb://contoso.servicebus.windows.net/;SharedAccessKeyName=vigil;SharedAccessKey=c2VjcmV0;EntityPath=activity"
	const nsConn = "Endpoint=sb://contoso.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=c2VjcmV0"
	for _, tc := range []struct {
		namespace, conn string
		brokers, topics []string
	}{
		{"", conn, []string{"contoso.servicebus.windows.net:9093"}, []string{"activity"}},
		{"fabrikam", nsConn, []string{"fabrikam.servicebus.windows.net:9093"}, nil},
		{"ns.servicebus.chinacloudapi.cn", nsConn, []string{"ns.servicebus.chinacloudapi.cn:9093"}, nil},
		{"", "garbage", nil, nil},
	} {
		o := EventHubs(tc.namespace, tc.conn)
		if diff := cmp.Diff(tc.brokers, o.Brokers); diff != "" {
			t.Errorf("EventHubs(%q, %q) brokers (-want +got):\n%s", tc.namespace, tc.conn, diff)
		}
		if diff := cmp.Diff(tc.topics, o.Topics); diff != "" {
			t.Errorf("EventHubs(%q, %q) topics (-want +got):\n%s", tc.namespace, tc.conn, diff)
		}
		if !o.TLS || o.SASL != (SASL{Mechanism: "PLAIN", Username: "$ConnectionString", Password: tc.conn}) {
			t.Errorf("EventHubs(%q, %q): TLS %v, SASL %+v", tc.namespace, tc.conn, o.TLS, o.SASL)
		}
	}
	// Without a group, New says so.
	if _, err := New(EventHubs("", conn)); err == nil || !strings.Contains(err.Error(), "no consumer group") {
		t.Errorf("New(EventHubs(...)) without a group: %v", err)
	}
}

func TestPasswordNeverPrinted(t *testing.T) {
	o := EventHubs("", "Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=SECRET")
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("config", "sasl", o.SASL)
	for _, s := range []string{fmt.Sprintf("%v", o), fmt.Sprintf("%+v", o), fmt.Sprint(o.SASL), buf.String()} {
		if strings.Contains(s, "SECRET") {
			t.Errorf("password printed: %s", s)
		}
	}
}

func TestFatalErrors(t *testing.T) {
	opts := Options{Brokers: []string{"b:9093"}, Topics: []string{"hub"}, Group: "g", SASL: SASL{Mechanism: "PLAIN", Username: "$ConnectionString", Password: "SECRET"}}
	for _, tc := range []struct {
		err   error
		fatal bool
		want  string
	}{
		{&kgo.ErrGroupSession{Err: kerr.SaslAuthenticationFailed}, true, "refused the SASL credentials (PLAIN user $ConnectionString): check the username and password"},
		{fmt.Errorf("dial: %w", kerr.UnsupportedSaslMechanism), true, `do not accept SASL mechanism "PLAIN"`},
		{&kgo.ErrGroupSession{Err: kerr.GroupAuthorizationFailed}, true, `not authorized to read topics [hub] in group "g"`},
		{kerr.TopicAuthorizationFailed, true, "grant the user read"},
		{kerr.NotCoordinator, false, ""},
		{context.DeadlineExceeded, false, ""},
		{errors.New("EOF"), false, ""},
	} {
		if got := fatal(tc.err); got != tc.fatal {
			t.Errorf("fatal(%v) = %v, want %v", tc.err, got, tc.fatal)
			continue
		}
		if !tc.fatal {
			continue
		}
		err := explain(tc.err, opts)
		if !strings.Contains(err.Error(), tc.want) || !errors.Is(err, tc.err) || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("explain(%v) = %v, want it to wrap the error and say %q", tc.err, err, tc.want)
		}
	}
}

func TestClientLogLevels(t *testing.T) {
	var buf bytes.Buffer
	k := kgoLogger{slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	if k.Level() != kgo.LogLevelWarn {
		t.Errorf("level %v, want warn", k.Level())
	}
	k.Log(kgo.LogLevelError, "broken", "broker", 1)
	if got := buf.String(); !strings.Contains(got, "level=ERROR") || !strings.Contains(got, `msg="kafka client: broken" broker=1`) {
		t.Errorf("logged %q", got)
	}
	if (kgoLogger{slog.New(slog.DiscardHandler)}).Level() != kgo.LogLevelNone {
		t.Error("a discarding logger should turn the client's logging off")
	}
}
