package normalize

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"

	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/geoip"
)

// ECSGeoTargets are the ECS field sets whose address (<target>.ip)
// EnrichECS looks up, as Elastic's integrations do for the documents they
// enrich: the sides of a connection and the client.
var ECSGeoTargets = []string{"source", "destination", "client"}

// EnrichECS adds what Elasticsearch's geoip processors write to a document
// already in ECS: for each of ECSGeoTargets with an IP address at
// <target>.ip, <target>.geo from the City (or Country) database unless the
// document has a field under <target>.geo, and <target>.as (number,
// organization.name) from the ASN database unless it has one under
// <target>.as. What the document holds is never changed or replaced: a
// shipper's or an earlier pipeline's enrichment wins. ev is an event over
// doc. It returns doc itself when it adds nothing.
func EnrichECS(doc []byte, ev *event.Event, dbs *geoip.Databases) (out []byte, warnings []string) {
	out = doc
	if !dbs.HasGeo() && !dbs.HasAS() {
		return out, nil
	}
	for _, target := range ECSGeoTargets {
		ip, ok := addressAt(ev, target+".ip")
		if !ok {
			continue
		}
		var add map[string]any
		if dbs.HasGeo() && !hasUnder(ev, target+".geo") {
			g, found, err := dbs.Geo(ip)
			if err != nil {
				warnings = append(warnings, fmt.Sprintf("geoip: %v", err))
			}
			if found {
				add = map[string]any{"geo": g.Object()}
			}
		}
		if dbs.HasAS() && !hasUnder(ev, target+".as") {
			a, found, err := dbs.AS(ip)
			if err != nil {
				warnings = append(warnings, fmt.Sprintf("geoip: %v", err))
			}
			if found {
				if add == nil {
					add = map[string]any{}
				}
				add["as"] = a.Object()
			}
		}
		if add == nil {
			continue
		}
		out = addMembers(out, target, add)
		if len(out) != len(doc) {
			ev.Reset(out) // the next target reads the new text
			doc = out
		}
	}
	return out, warnings
}

// addressAt returns the first value at path that is an IP address.
func addressAt(ev *event.Event, path string) (ip netip.Addr, ok bool) {
	ev.ScanUnder(path, func(p string, v event.Value) bool {
		if p != path || v.Kind != event.KindString {
			return true
		}
		if a, err := netip.ParseAddr(v.Str); err == nil {
			ip, ok = a.Unmap(), true
			return false
		}
		return true
	})
	return ip, ok
}

// hasUnder reports whether the document has a non-null leaf at head or
// under it (head itself, dotted or nested keys alike).
func hasUnder(ev *event.Event, head string) bool {
	return ev.ScanUnder(head, func(p string, v event.Value) bool {
		if v.Kind == event.KindNull {
			return true
		}
		if p == head || len(p) > len(head) && p[len(head)] == '.' && p[:len(head)] == head {
			return false
		}
		return true
	})
}

// addMembers writes the members of add into the top-level object key of
// doc (a valid JSON object): inside it when it is an object, else as a new
// top-level object key; when key holds something else, under dotted
// top-level keys (key.member).
func addMembers(doc []byte, key string, add map[string]any) []byte {
	var members []byte
	for _, k := range []string{"geo", "as"} {
		v, ok := add[k]
		if !ok {
			continue
		}
		if len(members) > 0 {
			members = append(members, ',')
		}
		members = fmt.Appendf(members, "%q:", k)
		members, _ = event.AppendJSON(members, v)
	}
	at, found := TopLevelValue(doc, key)
	switch {
	case found && at < len(doc) && doc[at] == '{':
		return insertAfter(doc, at, members)
	case found:
		var dotted []byte
		for _, k := range []string{"geo", "as"} {
			if v, ok := add[k]; ok {
				if len(dotted) > 0 {
					dotted = append(dotted, ',')
				}
				dotted = fmt.Appendf(dotted, "%q:", key+"."+k)
				dotted, _ = event.AppendJSON(dotted, v)
			}
		}
		return insertAfter(doc, bytes.IndexByte(doc, '{'), dotted)
	}
	obj := fmt.Appendf(nil, "%q:{", key)
	obj = append(append(obj, members...), '}')
	return insertAfter(doc, bytes.IndexByte(doc, '{'), obj)
}

// insertAfter inserts the object members m after the '{' at i.
func insertAfter(doc []byte, i int, m []byte) []byte {
	out := make([]byte, 0, len(doc)+len(m)+1)
	out = append(out, doc[:i+1]...)
	out = append(out, m...)
	if rest := bytes.TrimLeft(doc[i+1:], " \t\r\n"); len(rest) > 0 && rest[0] != '}' {
		out = append(out, ',')
	}
	return append(out, doc[i+1:]...)
}

// EnrichesECS reports whether EnrichECS may write field: a field under
// the .geo or .as object of one of ECSGeoTargets.
func EnrichesECS(field string) bool {
	for _, target := range ECSGeoTargets {
		if rest, ok := strings.CutPrefix(field, target+"."); ok &&
			(strings.HasPrefix(rest, "geo.") || strings.HasPrefix(rest, "as.")) {
			return true
		}
	}
	return false
}
