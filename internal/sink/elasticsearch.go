package sink

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// DefaultAlertsIndex is where Kibana's security solution reads the alerts
// of the default space.
const DefaultAlertsIndex = ".alerts-security.alerts-default"

// ElasticsearchOptions configure an Elasticsearch (or OpenSearch) sink.
type ElasticsearchOptions struct {
	URL   string // the cluster, e.g. https://es.example.com:9200 (/_bulk is appended)
	Index string // the alerts index or alias (default DefaultAlertsIndex)
	// Username and Password are sent as basic auth; APIKey (the base64
	// "encoded" form Elasticsearch returns) as "Authorization: ApiKey".
	// Set one or the other.
	Username, Password string
	APIKey             string
	// CAFile is a PEM file of the certificate authorities to trust instead
	// of the system's (a cluster with its own CA).
	CAFile  string
	Timeout time.Duration // per request (default 30s)
	Client  *http.Client  // replaces the client built from Timeout and CAFile
}

// Elasticsearch writes alerts through the _bulk API with "create"
// actions whose _id is the alert id: a re-delivered alert gets a 409
// conflict, which counts as stored. Per item, 200, 201 and 409 are
// accepted, 429 and 5xx are transient (only those alerts are written
// again), anything else rejects the alert with Elasticsearch's reason.
type Elasticsearch struct {
	bulkURL string
	display string
	index   string
	auth    string // the Authorization header, if any
	client  *http.Client
	counters
}

// NewElasticsearch checks the options and returns the sink.
func NewElasticsearch(opts ElasticsearchOptions) (*Elasticsearch, error) {
	u, err := url.Parse(opts.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("elasticsearch: url %q: want http(s)://host:port", opts.URL)
	}
	if opts.Index == "" {
		opts.Index = DefaultAlertsIndex
	}
	if strings.ContainsAny(opts.Index, `/\*?"<>| ,#`) {
		return nil, fmt.Errorf("elasticsearch: invalid index name %q", opts.Index)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	s := &Elasticsearch{index: opts.Index, client: opts.Client}
	switch {
	case opts.APIKey != "" && (opts.Username != "" || opts.Password != ""):
		return nil, errors.New("elasticsearch: set either username and password or api_key, not both")
	case opts.APIKey != "":
		s.auth = "ApiKey " + opts.APIKey
	case opts.Username != "" || opts.Password != "":
		req := http.Request{Header: http.Header{}}
		req.SetBasicAuth(opts.Username, opts.Password)
		s.auth = req.Header.Get("Authorization")
	}
	// Credentials in the URL instead: net/http sends them as basic auth.
	if s.client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		if opts.CAFile != "" {
			pem, err := os.ReadFile(opts.CAFile)
			if err != nil {
				return nil, fmt.Errorf("elasticsearch: CA file: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("elasticsearch: CA file %s holds no PEM certificate", opts.CAFile)
			}
			tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		}
		s.client = &http.Client{Timeout: opts.Timeout, Transport: tr}
	}
	base := strings.TrimRight(u.String(), "/")
	s.bulkURL = base + "/_bulk"
	s.display = strings.TrimRight(u.Redacted(), "/") + "/" + s.index
	return s, nil
}

// Name implements Sink.
func (s *Elasticsearch) Name() string { return "elasticsearch " + s.display }

// Close implements Sink.
func (s *Elasticsearch) Close() error {
	s.client.CloseIdleConnections()
	return nil
}

// bulkResponse is the part of a _bulk answer the sink reads.
type bulkResponse struct {
	Errors bool                  `json:"errors"`
	Items  []map[string]bulkItem `json:"items"`
}

type bulkItem struct {
	ID     string          `json:"_id"`
	Status int             `json:"status"`
	Error  json.RawMessage `json:"error"`
}

// reason renders an item's error: {"type":..,"reason":..} or a string.
func (it bulkItem) reason() string {
	var e struct {
		Type     string `json:"type"`
		Reason   string `json:"reason"`
		CausedBy *struct {
			Type   string `json:"type"`
			Reason string `json:"reason"`
		} `json:"caused_by"`
	}
	if json.Unmarshal(it.Error, &e) == nil && (e.Type != "" || e.Reason != "") {
		r := e.Type + ": " + e.Reason
		if e.CausedBy != nil {
			r += " (caused by " + e.CausedBy.Type + ": " + e.CausedBy.Reason + ")"
		}
		return r
	}
	var str string
	if json.Unmarshal(it.Error, &str) == nil && str != "" {
		return str
	}
	if len(it.Error) > 0 {
		return string(it.Error)
	}
	return "no reason given"
}

// Write implements Sink. An alert with no id, or whose document is not a
// JSON object, is rejected before the request.
func (s *Elasticsearch) Write(ctx context.Context, alerts []Alert) error {
	out := newOutcome(len(alerts))
	var body bytes.Buffer
	kept := make([]Alert, 0, len(alerts))
	for _, a := range alerts {
		if a.ID == "" {
			out.reject(a, Permanent(errors.New("alert without an id (the _id of the document)")))
			continue
		}
		mark := body.Len()
		action, _ := json.Marshal(map[string]map[string]string{"create": {"_index": s.index, "_id": a.ID}})
		body.Write(action)
		body.WriteByte('\n')
		if err := appendDoc(&body, a); err != nil {
			body.Truncate(mark)
			out.reject(a, err)
			continue
		}
		body.WriteByte('\n')
		kept = append(kept, a)
	}
	if len(kept) > 0 {
		s.bulk(ctx, kept, body.Bytes(), out)
	}
	err := out.err()
	s.count(len(alerts), err)
	return err
}

// bulk sends one _bulk request for alerts and records each one's verdict.
func (s *Elasticsearch) bulk(ctx context.Context, alerts []Alert, body []byte, out *outcome) {
	what := "elasticsearch " + s.display
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.bulkURL, bytes.NewReader(body))
	if err != nil {
		for _, a := range alerts {
			out.reject(a, Permanent(fmt.Errorf("%s: %w", what, err)))
		}
		return
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "vigil")
	if s.auth != "" {
		req.Header.Set("Authorization", s.auth)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		out.retryAll(alerts, fmt.Errorf("%s: %w", what, err))
		return
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusRequestEntityTooLarge:
		err := Permanent(fmt.Errorf("%s: %s: the request of %d bytes is over the cluster's http.max_content_length (write smaller batches)",
			what, resp.Status, len(body)))
		for _, a := range alerts {
			out.reject(a, err)
		}
		return
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		err := httpStatusError(what, resp, "check the URL, the credentials and the index privileges")
		if IsPermanent(err) {
			for _, a := range alerts {
				out.reject(a, err)
			}
			return
		}
		out.retryAll(alerts, err)
		return
	}
	var br bulkResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&br); err != nil {
		// Not an answer from Elasticsearch: a proxy or a wrong URL.
		err := Permanent(fmt.Errorf("%s: unreadable _bulk response: %w (is the URL an Elasticsearch or OpenSearch cluster?)", what, err))
		for _, a := range alerts {
			out.reject(a, err)
		}
		return
	}
	if len(br.Items) != len(alerts) {
		err := Permanent(fmt.Errorf("%s: _bulk answered %d items for %d documents", what, len(br.Items), len(alerts)))
		for _, a := range alerts {
			out.reject(a, err)
		}
		return
	}
	for i, a := range alerts {
		var it bulkItem
		for _, v := range br.Items[i] { // {"create": {...}}
			it = v
		}
		if it.ID != "" && it.ID != a.ID {
			out.reject(a, Permanent(fmt.Errorf("%s: _bulk item %d is for _id %q, not alert %q", what, i, it.ID, a.ID)))
			continue
		}
		switch {
		case it.Status == http.StatusOK || it.Status == http.StatusCreated || it.Status == http.StatusConflict:
			// stored now, or stored before
		case it.Status == http.StatusTooManyRequests || it.Status >= 500:
			out.retry(a, fmt.Errorf("%s: alert %s: status %d: %s", what, a.ID, it.Status, it.reason()))
		default:
			out.reject(a, Permanent(fmt.Errorf("%s: alert %s: status %d: %s", what, a.ID, it.Status, it.reason())))
		}
	}
}
