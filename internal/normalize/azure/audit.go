package azure

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Audit maps an Entra ID audit record (category AuditLogs) as the
// integration's azure.auditlogs pipeline does: the record under
// azure.auditlogs with its top-level and main property names in snake
// case (initiatedBy's content keeps Microsoft's names), target resources
// and their modified properties as objects keyed by position ("0", "1",
// ...), the caller's address, the result as outcome, related entities,
// then the shared pipeline.
func Audit(rec map[string]any, raw []byte, opts Options) (map[string]any, []string, error) {
	a, _ := copyRecord(rec).(map[string]any)
	if cat, _ := a["category"].(string); cat != "AuditLogs" {
		return nil, nil, fmt.Errorf("not an audit record: category %q is not AuditLogs (Elastic's pipeline drops it)", cat)
	}
	d := begin(AuditLogs, raw, opts)
	var warnings []string
	if v, ok := take(a, "time"); ok {
		warnings = timestamp(d, v, false)
	}
	resourceID, _ := take(a, "resourceId")
	if v, ok := take(a, "durationMs"); ok {
		if dur, ok := durationValue(v); ok {
			d.set("event.duration", dur)
		}
	}
	props := sub(a, "properties")
	if props != nil {
		if r, ok := props["result"].(string); ok {
			if l := strings.ToLower(r); l == "success" || l == "failure" {
				delete(props, "result")
				d.set("event.outcome", r)
			}
		}
	}
	if v, ok := take(a, "level"); ok {
		d.set("log.level", v)
	}
	if v, ok := a["operationName"]; ok && v != nil {
		d.set("event.action", mustache(v))
	}
	rename(a, "operationName", "operation_name")
	rename(a, "resultSignature", "result_signature")
	rename(a, "operationVersion", "operation_version")
	rename(a, "resultType", "result_type")
	rename(a, "resultDescription", "result_description")
	if v, ok := take(a, "tenantId"); ok {
		d.set("azure.tenant_id", v)
	}
	if v, ok := take(a, "correlationId"); ok {
		d.set("azure.correlation_id", v)
	}
	if ip, ok := a["callerIpAddress"]; ok {
		warnings = append(warnings, sourceIP(d, ip, opts.GeoIP, false)...)
		if _, isIP := d.get("source.ip"); isIP {
			delete(a, "callerIpAddress")
		} else if _, addr := d.get("source.address"); addr {
			delete(a, "callerIpAddress")
		}
	}
	rename(a, "Level", "level")
	d.set("related.entity", []any{})
	if props != nil {
		rename(props, "activityDisplayName", "activity_display_name")
		rename(props, "activityDateTime", "activity_datetime")
		rename(props, "additionalDetails", "additional_details")
		rename(props, "resultReason", "result_reason")
		rename(props, "correlationId", "correlation_id")
		rename(props, "loggedByService", "logged_by_service")
		rename(props, "operationType", "operation_type")
		if ib, ok := take(props, "initiatedBy"); ok {
			dropNulls(ib)
			props["initiated_by"] = ib
			if m, ok := ib.(map[string]any); ok {
				if v := mustache(sub(m, "app")["servicePrincipalId"]); v != "" {
					d.appendUnique("related.entity", v)
				}
				if v := mustache(sub(m, "user")["id"]); v != "" {
					d.appendUnique("related.entity", v)
				}
			}
		}
		if props["userAgent"] == nil {
			delete(props, "userAgent")
		}
		if list, ok := take(props, "targetResources"); ok {
			if l, ok := list.([]any); ok {
				tr := map[string]any{}
				for i, x := range l {
					t, _ := x.(map[string]any)
					o := map[string]any{}
					if t["displayName"] != nil {
						o["display_name"] = t["displayName"]
					}
					if t["id"] != nil {
						o["id"] = t["id"]
						if v := mustache(t["id"]); v != "" {
							d.appendUnique("related.entity", v)
						}
					}
					if t["type"] != nil {
						o["type"] = t["type"]
					}
					if t["ipAddress"] != nil {
						o["ip_address"] = t["ipAddress"]
					}
					if t["userPrincipalName"] != nil {
						o["user_principal_name"] = t["userPrincipalName"]
					}
					mp := map[string]any{}
					if ml, ok := t["modifiedProperties"].([]any); ok {
						for j, y := range ml {
							p, _ := y.(map[string]any)
							po := map[string]any{}
							if p["displayName"] != nil {
								po["display_name"] = p["displayName"]
							}
							if p["newValue"] != nil {
								po["new_value"] = p["newValue"]
							}
							if p["oldValue"] != nil {
								po["old_value"] = p["oldValue"]
							}
							mp[strconv.Itoa(j)] = po
						}
					}
					o["modified_properties"] = mp
					tr[strconv.Itoa(i)] = o
				}
				props["target_resources"] = tr
			} else {
				props["targetResources"] = list
			}
		}
	}
	d.set("azure.auditlogs", a)
	shared(d, resourceID)
	return d.m, warnings, nil
}

// dropNulls removes null values from maps, recursively.
func dropNulls(x any) {
	switch t := x.(type) {
	case map[string]any:
		for k, v := range t {
			if v == nil {
				delete(t, k)
				continue
			}
			dropNulls(v)
		}
	case []any:
		for _, v := range t {
			dropNulls(v)
		}
	}
}

// auditTopRenames and auditPropRenames are the keys the audit pipeline
// renames at the top of the record and in its properties.
var (
	auditTopRenames = [][2]string{
		{"operationName", "operation_name"}, {"resultSignature", "result_signature"},
		{"operationVersion", "operation_version"}, {"resultType", "result_type"},
		{"resultDescription", "result_description"}, {"Level", "level"},
	}
	auditPropRenames = [][2]string{
		{"activityDisplayName", "activity_display_name"}, {"activityDateTime", "activity_datetime"},
		{"additionalDetails", "additional_details"}, {"resultReason", "result_reason"},
		{"correlationId", "correlation_id"}, {"loggedByService", "logged_by_service"},
		{"operationType", "operation_type"}, {"initiatedBy", "initiated_by"},
		{"targetResources", "target_resources"},
	}
)

var (
	auditTopRenameSet  = newRenameSet(auditTopRenames)
	auditPropRenameSet = newRenameSet(auditPropRenames)

	auditTopRenameKeys  = renameKeys(auditTopRenames)
	auditPropRenameKeys = renameKeys(auditPropRenames)
)

// renamed returns key's new name in renames, or key.
func renamed(renames [][2]string, key string) string {
	for _, r := range renames {
		if r[0] == key {
			return r[1]
		}
	}
	return key
}

// audit is Audit written from the record's bytes (AppendStream).
func (f *fastDoc) audit(opts Options) bool {
	var plain xform
	top, ok := f.record(plain)
	if !ok {
		return false
	}
	if cat, ok := f.stringOf(top, wCategory); !ok || cat != "AuditLogs" {
		return false // the pipeline drops it: an error, from the general path
	}
	// A renamed key meeting its new name: map order decides (level is
	// taken before Level is renamed).
	if f.clash(top, auditTopRenameKeys[:len(auditTopRenameKeys)-1]) {
		return false
	}
	f.begin(AuditLogs, opts, false)
	if v, ok := f.find(top, "time"); ok && !f.putTimestamp(v) {
		return false
	}
	if v, ok := f.find(top, "durationMs"); ok && !f.putDuration(v) {
		return false
	}
	props, hasProps, ok := f.properties(top, plain)
	if !ok {
		return false
	}
	resultTaken := false
	if v, ok := f.find(props, "result"); ok && f.raw[v.s] == '"' {
		r, _ := f.str(v, true)
		for _, l := range [...]string{"success", "failure"} {
			if lowerIs(r, l) {
				resultTaken = true
				f.putString("event.outcome", l)
			}
		}
	}
	if v, ok := f.find(top, "level"); ok {
		f.putValue("log.level", v, plain)
	}
	if !f.putAction(top, wOperationNameCamel, false) {
		return false
	}
	tn, ok := f.putTenantAndCorrelation(top, wTenantIDCamel, wCorrelationIDCamel, plain)
	if !ok {
		return false
	}
	relIP := f.related(0, "related.ip", false)
	callerTaken := false
	if v, ok := f.find(top, "callerIpAddress"); ok {
		switch {
		case f.raw[v.s] == '"':
			if ip, _ := f.str(v, true); ip != "" {
				f.sourceIP(ip, relIP)
				callerTaken = true
			}
		case !f.isNull(v):
			f.putValue("source.address", v, plain)
			callerTaken = true
		}
	}
	relEntity := f.related(1, "related.entity", true)
	if hasProps {
		if f.clash(props, auditPropRenameKeys) {
			return false
		}
		if v, ok := f.find(props, "initiatedBy"); ok && f.raw[v.s] == '{' {
			ib, ok := f.object(v, plain)
			if !ok {
				return false
			}
			for _, who := range [][2]string{{"app", "servicePrincipalId"}, {"user", "id"}} {
				if w, ok := f.find(ib, who[0]); ok && f.raw[w.s] == '{' {
					m, ok := f.object(w, plain)
					if !ok || !f.addMustache(relEntity, m, who[1]) {
						return false
					}
				}
			}
		}
		if v, ok := f.find(props, "targetResources"); ok && f.raw[v.s] == '[' {
			if !f.targetResources(v, relEntity) {
				return false
			}
		}
	}
	f.putRelated(relIP, true)
	f.putRelated(relEntity, false)

	// azure.auditlogs: the record, renamed, without what went to ECS.
	const root = "azure.auditlogs."
	for i := range top.ms {
		m := &top.ms[i]
		switch m.key {
		case "time", "resourceId", "durationMs", "level", "tenantId", "correlationId":
			continue
		case "callerIpAddress":
			if callerTaken {
				continue
			}
		case "properties":
			if hasProps {
				continue
			}
		}
		// The commonest value, the record's text as it is, put here
		// without putValueKey's call (recValue inlined).
		if f.recValue(m.v) {
			f.putRecKey(root, auditTopRenameSet.of(m.key), m.v.s, m.v.e)
		} else if !f.putValueKey(root, auditTopRenameSet.of(m.key), m.v, plain) {
			return false
		}
	}
	if hasProps {
		const prefix = root + "properties."
		n := 0
		for i := range props.ms {
			m := &props.ms[i]
			key := m.key
			t := plain
			switch key {
			case "result":
				if resultTaken {
					continue
				}
			case "userAgent":
				if f.isNull(m.v) {
					continue
				}
			case "initiatedBy":
				t.dropNulls = true
			case "targetResources":
				if f.raw[m.v.s] == '[' {
					n++
					continue // put by targetResources
				}
				key = "targetResources" // kept as it is
			}
			if key != "targetResources" {
				key = auditPropRenameSet.of(key)
			}
			n++
			if f.recValue(m.v) {
				f.putRecKey(prefix, key, m.v.s, m.v.e)
			} else if !f.putValueKey(prefix, key, m.v, t) {
				return false
			}
		}
		if n == 0 {
			f.putEmptyObject(root + "properties")
		}
	}
	rid, hasRID := f.find(top, "resourceId")
	return f.sharedFast(rid, hasRID, tn.value, tn.set, tn.isString, false)
}

// targetResources puts the audit pipeline's target_resources: the list
// as an object keyed by position, each resource's display name, id,
// type, address and user principal name, and its modified properties
// keyed by position likewise; the ids go to related.entity.
func (f *fastDoc) targetResources(v span, rel *related) bool {
	raw := f.raw
	var plain xform
	// Keys are positions, written in string order ("10" before "2"):
	// built in position order, then sorted.
	elems := f.elems[:0]
	n, good := 0, true
	f.elements(raw, v, func(x span) bool {
		var t obj
		if raw[x.s] == '{' {
			var ok bool
			if t, ok = f.object(x, plain); !ok {
				good = false
				return false
			}
		}
		s := len(f.arena)
		f.arena = append(f.arena, '{')
		first := true
		field := func(name string, x span, has bool) {
			if !has || f.isNull(x) {
				return
			}
			if !first {
				f.arena = append(f.arena, ',')
			}
			first = false
			f.arena = appendJSONString(f.arena, name)
			f.arena = append(f.arena, ':')
			f.arena = f.canon(f.arena, x)
		}
		var vals [resourceKeys]span
		var has [resourceKeys]bool
		pick(t.ms, resourceKey, vals[:], has[:])
		dn, hasDN := vals[0], has[0]
		id, hasID := vals[1], has[1]
		ip, hasIP := vals[2], has[2]
		mp, hasMP := vals[3], has[3]
		ty, hasTy := vals[4], has[4]
		upn, hasUPN := vals[5], has[5]
		// In key order: display_name, id, ip_address, modified_properties,
		// type, user_principal_name.
		field("display_name", dn, hasDN)
		field("id", id, hasID)
		if hasID && !f.isNull(id) {
			s, ok := f.mustache(id)
			if !ok {
				good = false
				return false
			}
			if s != "" {
				rel.add(s)
			}
		}
		field("ip_address", ip, hasIP)
		if !first {
			f.arena = append(f.arena, ',')
		}
		first = false
		f.arena = append(f.arena, `"modified_properties":{`...)
		if hasMP && raw[mp.s] == '[' {
			if !f.modifiedProperties(mp) {
				good = false
				return false
			}
		}
		f.arena = append(f.arena, '}')
		field("type", ty, hasTy)
		field("user_principal_name", upn, hasUPN)
		f.arena = append(f.arena, '}')
		elems = append(elems, posSpan{position(n), span{s, len(f.arena)}})
		n++
		return true
	})
	f.elems = elems[:0]
	if !good {
		return false
	}
	s := len(f.arena)
	f.arena = append(f.arena, '{')
	f.appendPositional(elems)
	f.arena = append(f.arena, '}')
	f.put("azure.auditlogs.properties.target_resources", s)
	return true
}

// modifiedProperties appends the members of a target resource's
// modified_properties (without braces): each modified property's display
// name, new and old value, keyed by position.
func (f *fastDoc) modifiedProperties(v span) bool {
	raw := f.raw
	var plain xform
	props := f.props[:0]
	n, good := 0, true
	f.elements(raw, v, func(x span) bool {
		var p obj
		if raw[x.s] == '{' {
			var ok bool
			if p, ok = f.object(x, plain); !ok {
				good = false
				return false
			}
		}
		s := len(f.arena)
		f.arena = append(f.arena, '{')
		first := true
		var vals [modifiedKeys]span
		var has [modifiedKeys]bool
		pick(p.ms, modifiedKey, vals[:], has[:])
		for j, name := range [...]string{"display_name", "new_value", "old_value"} {
			if !has[j] || f.isNull(vals[j]) {
				continue
			}
			if !first {
				f.arena = append(f.arena, ',')
			}
			first = false
			f.arena = appendJSONString(f.arena, name)
			f.arena = append(f.arena, ':')
			f.arena = f.canon(f.arena, vals[j])
		}
		f.arena = append(f.arena, '}')
		props = append(props, posSpan{position(n), span{s, len(f.arena)}})
		n++
		return true
	})
	f.props = props[:0]
	if !good {
		return false
	}
	built := len(f.arena)
	if len(props) > 0 {
		built = props[0].v.s
	}
	// The members go after the elements were built: written at the end,
	// then moved over the elements.
	start := len(f.arena)
	f.appendPositional(props)
	moved := copy(f.arena[built:], f.arena[start:])
	f.arena = f.arena[:built+moved]
	return true
}

// resourceKeys are the keys of a target resource the audit writer reads
// (in resourceKey's order), modifiedKeys those of a modified property
// (modifiedKey's).
const (
	resourceKeys = 6
	modifiedKeys = 3
)

// pick reads the members of a small object (keys as they are) in one
// pass into the fields a writer needs: vals[j] and has[j] the value of
// the last member whose key is names[j] (a key repeated is spelt one way:
// find's answer), without a look-up per key. index tells a key's j (-1:
// none), as a switch.
func pick(ms []tkv, index func(string) int, vals []span, has []bool) {
	for _, m := range ms {
		if j := index(m.key); j >= 0 {
			vals[j], has[j] = m.v, true
		}
	}
}

// resourceKey is pick's index of resourceKeys.
func resourceKey(k string) int {
	switch k {
	case "displayName":
		return 0
	case "id":
		return 1
	case "ipAddress":
		return 2
	case "modifiedProperties":
		return 3
	case "type":
		return 4
	case "userPrincipalName":
		return 5
	}
	return -1
}

// modifiedKey is pick's index of modifiedKeys.
func modifiedKey(k string) int {
	switch k {
	case "displayName":
		return 0
	case "newValue":
		return 1
	case "oldValue":
		return 2
	}
	return -1
}

// positions are the keys of the first target resources and modified
// properties ("0", "1", ...).
var positions = func() (p [64]string) {
	for i := range p {
		p[i] = strconv.Itoa(i)
	}
	return p
}()

func position(n int) string {
	if n < len(positions) {
		return positions[n]
	}
	return strconv.Itoa(n)
}

// posSpan is an element of a list written as an object keyed by
// position: its key and its value in the arena.
type posSpan struct {
	key string
	v   span
}

// appendPositional appends the members "key":value of elements built in
// the arena, in key order (string order: "10" before "2").
func (f *fastDoc) appendPositional(elems []posSpan) {
	slices.SortFunc(elems, func(a, b posSpan) int { return strings.Compare(a.key, b.key) })
	for j, el := range elems {
		if j > 0 {
			f.arena = append(f.arena, ',')
		}
		f.arena = appendJSONString(f.arena, el.key)
		f.arena = append(f.arena, ':')
		f.arena = append(f.arena, f.arena[el.v.s:el.v.e]...)
	}
}
