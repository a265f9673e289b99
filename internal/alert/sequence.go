package alert

import (
	"crypto/sha256"
	"encoding/hex"
	"reflect"
	"strconv"
)

// BuildSequence returns the alerts Kibana's detection engine writes for
// one sequence an eql rule found (build_alert_group_from_sequence): one
// building-block alert per event, in the sequence's order, then the shell
// alert that groups them.
//
// A building block is the event's query-rule alert (Build) with
// kibana.alert.building_block_type "default", kibana.alert.group.id (the
// shell's id) and kibana.alert.group.index (the event's position). Its id
// depends on every event of the sequence: hex SHA-256 of the
// concatenation, over the blocks, of their ancestors' id and index and the
// rule's uuid, then the block's position, so that an event in two
// sequences gets an alert in each.
//
// The shell holds the fields common to all the events (Kibana's
// objectArrayIntersection of the blocks: equal values, arrays' common
// elements, objects recursively), its own reason over them, as ancestors
// each block's ancestry followed by the block itself (type "signal",
// depth 1), depth 2, and as id and group id the hex SHA-256 of its
// ancestors' ids and indices and the rule's uuid. The same sequence found
// again therefore gets the same ids.
func BuildSequence(events []Event, r Rule, opts Options) []map[string]any {
	if len(events) == 0 {
		return nil
	}
	blocks := make([]map[string]any, len(events))
	for i, ev := range events {
		blocks[i] = Build(ev, r, opts)
	}
	ids := make([]string, len(events))
	for i := range events {
		h := sha256.New()
		for _, ev := range events {
			h.Write([]byte(ev.ID))
			h.Write([]byte(ev.Index))
			h.Write([]byte(r.UUID))
		}
		h.Write([]byte(strconv.Itoa(i)))
		ids[i] = hex.EncodeToString(h.Sum(nil))
	}

	// The shell: the events' common fields, its ancestors, its id.
	var common map[string]any
	for i, ev := range events {
		src := ev.Doc
		if i == 0 {
			common = src
			continue
		}
		common = intersect(common, src)
	}
	if common == nil {
		common = map[string]any{}
	}
	shell := Build(Event{Doc: common}, r, opts)
	var ancestors []any
	sh := sha256.New()
	for i, ev := range events {
		ancestors = append(ancestors,
			map[string]any{"id": ev.ID, "index": ev.Index, "type": "event", "depth": 0},
			map[string]any{"id": ids[i], "index": "", "type": "signal", "depth": 1, "rule": r.UUID})
		sh.Write([]byte(ev.ID))
		sh.Write([]byte(ev.Index))
		sh.Write([]byte(ids[i]))
	}
	sh.Write([]byte(r.UUID))
	groupID := hex.EncodeToString(sh.Sum(nil))
	shell["kibana.alert.ancestors"] = ancestors
	shell["kibana.alert.depth"] = 2
	shell["kibana.alert.uuid"] = groupID
	shell["kibana.alert.group.id"] = groupID

	out := make([]map[string]any, 0, len(events)+1)
	for i, b := range blocks {
		b["kibana.alert.uuid"] = ids[i]
		b["kibana.alert.building_block_type"] = "default"
		b["kibana.alert.group.id"] = groupID
		b["kibana.alert.group.index"] = i
		out = append(out, b)
	}
	return append(out, shell)
}

// intersect is Kibana's objectPairIntersection of two documents: the keys
// both have, with equal values, the common elements of arrays (a scalar
// counting as an array of one) and objects intersected recursively; nil
// when nothing is common.
func intersect(a, b map[string]any) map[string]any {
	if a == nil || b == nil {
		return nil
	}
	out := map[string]any{}
	for k, av := range a {
		bv, ok := b[k]
		if !ok {
			continue
		}
		am, aObj := av.(map[string]any)
		bm, bObj := bv.(map[string]any)
		al, aArr := av.([]any)
		bl, bArr := bv.([]any)
		switch {
		case aObj && bObj:
			if m := intersect(am, bm); m != nil {
				out[k] = m
			}
		case !aArr && !bArr:
			if !aObj && !bObj && reflect.DeepEqual(av, bv) {
				out[k] = av
			}
		case aArr && bArr:
			out[k] = commonElems(al, bl)
		case aArr:
			out[k] = commonElems(al, []any{bv})
		default:
			out[k] = commonElems([]any{av}, bl)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// commonElems returns the elements of a (once each, in a's order) that b
// holds, compared as lodash compares them (objects by identity: never
// common between two documents).
func commonElems(a, b []any) []any {
	out := []any{}
	for _, x := range a {
		if !scalar(x) {
			continue
		}
		in := false
		for _, y := range b {
			if x == y {
				in = true
				break
			}
		}
		if !in {
			continue
		}
		dup := false
		for _, y := range out {
			if x == y {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, x)
		}
	}
	return out
}

func scalar(x any) bool {
	switch x.(type) {
	case map[string]any, []any:
		return false
	}
	return true
}
