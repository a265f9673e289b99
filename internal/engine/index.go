package engine

import (
	"strings"
)

// DefaultIndexPatterns are Kibana's default security index patterns
// (securitySolution:defaultIndex), used for rules that name no index.
var DefaultIndexPatterns = []string{
	"apm-*-transaction*", "auditbeat-*", "endgame-*", "filebeat-*", "logs-*",
	"packetbeat-*", "traces-apm*", "winlogbeat-*", "-*elastic-cloud-logs-*",
}

// IndexSelector is a compiled list of Elasticsearch index patterns: names
// with `*` wildcards, where a leading `-` excludes what earlier patterns
// included.
type IndexSelector struct {
	terms []indexTerm
}

type indexTerm struct {
	exclude bool
	glob    []string // pattern split at '*'
}

// NewIndexSelector compiles patterns. An empty list selects nothing; pass
// DefaultIndexPatterns for rules without an index.
func NewIndexSelector(patterns []string) *IndexSelector {
	s := &IndexSelector{}
	for _, p := range patterns {
		p = strings.TrimSpace(p)
		t := indexTerm{}
		if strings.HasPrefix(p, "-") {
			t.exclude = true
			p = p[1:]
		}
		if p == "" {
			continue
		}
		t.glob = strings.Split(p, "*")
		s.terms = append(s.terms, t)
	}
	return s
}

// Match reports whether the index name is selected. The terms apply in
// order, as in Elasticsearch: an include adds, a later exclusion removes.
func (s *IndexSelector) Match(index string) bool {
	in := false
	for _, t := range s.terms {
		if t.exclude {
			if in && globMatch(t.glob, index) {
				in = false
			}
		} else if !in && globMatch(t.glob, index) {
			in = true
		}
	}
	return in
}

// globMatch matches s against a pattern split at its '*' wildcards.
func globMatch(parts []string, s string) bool {
	if len(parts) == 1 {
		return s == parts[0]
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return len(s) >= len(last) && strings.HasSuffix(s, last)
}
