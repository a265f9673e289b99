package cli

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/vigil-project/vigil/internal/input"
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
		return &input.LineSource{SourceName: name, R: env.Stdin, Index: ic.Index}, nil
	case "tail", "kafka", "nats":
		return nil, fmt.Errorf("%s input: %w", ic.Type, errNotBuilt)
	}
	return nil, fmt.Errorf("unknown input type %q", ic.Type)
}

func buildIngest(hc httpConfig, log *slog.Logger) (source.Source, http.Handler) {
	return nil, nil
}

func buildSink(sc sinkConfig, log *slog.Logger) (sink.Sink, error) {
	switch sc.Type {
	case "file", "webhook", "elasticsearch", "kafka", "nats":
		return nil, fmt.Errorf("%s sink: %w", sc.Type, errNotBuilt)
	}
	return nil, fmt.Errorf("unknown sink type %q", sc.Type)
}

func newDelivery(sinks []sink.Sink, log *slog.Logger, m *serve.Metrics) sink.Sink {
	return sinks[0]
}
