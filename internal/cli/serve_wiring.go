package cli

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/vigil-project/vigil/internal/input/bulk"
	"github.com/vigil-project/vigil/internal/input/kafka"
	"github.com/vigil-project/vigil/internal/input/natsjs"
	"github.com/vigil-project/vigil/internal/input/stdin"
	"github.com/vigil-project/vigil/internal/input/tail"
	"github.com/vigil-project/vigil/internal/serve"
	"github.com/vigil-project/vigil/internal/sink"
	"github.com/vigil-project/vigil/internal/source"
	"github.com/vigil-project/vigil/internal/state"
)

// The wiring table of `vigil serve`: config tables to inputs and sinks.

func buildInput(ic inputConfig, env *Env, store *state.Store, log *slog.Logger) (source.Source, error) {
	name := ic.Name
	if name == "" {
		name = ic.Type
	}
	switch ic.Type {
	case "stdin":
		return stdin.New(stdin.Options{Name: name, Reader: env.Stdin, Index: ic.Index, Logger: log})
	case "tail":
		return tail.New(tail.Options{Name: name, Paths: ic.Paths, Index: ic.Index, Checkpoints: store,
			StartAt: ic.StartAt, Poll: ic.Poll.Duration, Logger: log})
	case "nats":
		return natsjs.New(natsjs.Options{Name: name, URL: ic.URL, Stream: ic.Stream, Subjects: ic.Subjects, CreateStream: ic.CreateStream,
			Durable: ic.Durable, FilterSubject: ic.FilterSubject, Index: ic.Index, User: ic.Username, Password: ic.Password,
			Token: ic.Token, CredsFile: ic.CredsFile, Logger: log})
	case "kafka":
		in, err := kafka.New(kafka.Options{Name: name, Brokers: ic.Brokers, Topics: ic.Topics, Group: ic.Group, Index: ic.Index,
			StartOffset: ic.StartOffset, TLS: ic.TLS, CAFile: ic.CAFile,
			SASL: kafka.SASL{Mechanism: ic.SASLMechanism, Username: ic.Username, Password: ic.Password}, Logger: log})
		if err != nil {
			return nil, err
		}
		return kafkaLag{in}, nil
	}
	return nil, fmt.Errorf("unknown input type %q", ic.Type)
}

func buildIngest(hc httpConfig, log *slog.Logger, m *serve.Metrics) (source.Source, http.Handler) {
	in := bulk.New(bulk.Options{Name: "bulk", DefaultIndex: hc.Index, MaxBodyBytes: hc.MaxBodyBytes, Logger: log,
		MaxInFlightBytes: hc.MaxInFlightBytes, MaxInFlightRequests: hc.MaxInFlightRequests, AckTimeout: hc.AckTimeout.Duration})
	m.GaugeFunc("vigil_ingest_in_flight_bytes", "Request bodies the ingest API holds now (read, waiting or processed).", nil,
		func() map[string]float64 { b, _ := in.InFlight(); return map[string]float64{"": float64(b)} })
	m.GaugeFunc("vigil_ingest_requests_rejected_total", "Ingest requests refused as a whole, by reason: busy (answered 429: past the in-flight bounds, or not processed within ack_timeout) or other (auth, size, shutdown, client gone).", []string{"reason"},
		func() map[string]float64 {
			st := in.Stats()
			return map[string]float64{"busy": float64(st.Busy), "other": float64(st.Rejected - st.Busy)}
		})
	return in, in.Handler()
}

func buildSink(sc sinkConfig, log *slog.Logger) (sink.Sink, error) {
	switch sc.Type {
	case "file":
		return sink.NewFile(sink.FileOptions{Path: sc.Path, MaxBytes: sc.MaxBytes, MaxFiles: sc.MaxFiles})
	case "webhook":
		return sink.NewWebhook(sink.WebhookOptions{URL: sc.URL, Headers: sc.Headers, Timeout: sc.Timeout.Duration}), nil
	case "elasticsearch":
		return sink.NewElasticsearch(sink.ElasticsearchOptions{URL: sc.URL, Index: sc.Index, Username: sc.Username,
			Password: sc.Password, APIKey: sc.APIKey, CAFile: sc.CAFile, Timeout: sc.Timeout.Duration})
	case "kafka":
		return sink.NewKafka(sink.KafkaOptions{Brokers: sc.Brokers, Topic: sc.Topic})
	case "nats":
		return sink.NewNATS(sink.NATSOptions{URL: sc.URL, Subject: sc.Subject, JetStream: sc.JetStream, User: sc.Username, Password: sc.Password})
	}
	return nil, fmt.Errorf("unknown sink type %q", sc.Type)
}

// newDelivery retries each sink on its own and writes to all of them; the
// retrying sinks report their health.
func newDelivery(sinks []sink.Sink, log *slog.Logger, m *serve.Metrics) (sink.Sink, []serve.SinkHealth) {
	retrying := make([]*sink.Retrying, len(sinks))
	all := make([]sink.Sink, len(sinks))
	for i, s := range sinks {
		retrying[i] = sink.Retry(s, sink.RetryOptions{Logger: log})
		all[i] = retrying[i]
	}
	stat := func(pick func(sink.Stats) int64) func() map[string]float64 {
		return func() map[string]float64 {
			out := map[string]float64{}
			for _, r := range retrying {
				out[serve.Labels(r.Name())] = float64(pick(r.Stats()))
			}
			return out
		}
	}
	m.GaugeFunc("vigil_sink_alerts_written_total", "Alerts each sink accepted.", []string{"sink"}, stat(func(s sink.Stats) int64 { return s.Written }))
	m.GaugeFunc("vigil_sink_failures_total", "Failed writes per sink (each retried until it succeeds).", []string{"sink"}, stat(func(s sink.Stats) int64 { return s.Failures }))
	health := make([]serve.SinkHealth, len(retrying))
	for i, r := range retrying {
		health[i] = r
	}
	return sink.NewMulti(all...), health
}

// kafkaLag adds Lag to the Kafka input for the vigil_input_lag gauge.
type kafkaLag struct{ *kafka.Input }

func (k kafkaLag) Lag() int64 { return k.Stats().Lag }
