package azure

import (
	"bytes"
	"unsafe"
)

// The writers walk a record's objects level by level (the record's keys,
// then properties' members, then an object of properties...), and each
// walk finds where every value ends: without memory, the bytes of an
// object nested n deep are read n+1 times. The first walk over a
// container notes where each string and container inside it ends, by its
// first byte's offset; later walks read the ends from there.

// maxEndsRecord bounds the records whose ends are noted (four bytes a
// byte of the record); longer ones are walked as before.
const maxEndsRecord = 1 << 20

// endTable returns the table of ends for raw when raw is the record being
// written (not another text a writer parses), nil otherwise.
func (f *fastDoc) endTable(raw []byte) []int32 {
	if len(raw) == 0 || len(raw) > maxEndsRecord || len(raw) != len(f.rec) || unsafe.SliceData(raw) != unsafe.SliceData(f.rec) {
		return nil
	}
	if !f.endsReady {
		if cap(f.ends) < len(raw) {
			f.ends = make([]int32, len(raw))
		} else {
			f.ends = f.ends[:len(raw)]
			clear(f.ends)
		}
		f.endsReady = true
	}
	return f.ends
}

// plainEnd marks in the table of ends a string token whose text is
// printable ASCII without a backslash: event.AppendJSON writes it back as
// it is (plainJSONString), and canon copies it without checking again.
const plainEnd = 1 << 30

// noteString returns the end of the string token at raw[i] as noted in
// the table: with plainEnd when its text is plain.
func noteString(raw []byte, i int) int32 {
	e, plain := stringEndPlain(raw, i)
	if plain {
		return int32(e) | plainEnd
	}
	return int32(e)
}

// plainNoted reports whether the string token at raw[i] was noted plain
// (raw is the record whose ends are noted).
func (f *fastDoc) plainNoted(raw []byte, i int) bool {
	return f.endsReady && len(raw) == len(f.rec) && i < len(f.ends) && unsafe.SliceData(raw) == unsafe.SliceData(f.rec) &&
		f.ends[i]&plainEnd != 0
}

// valueEnd is valueEnd with the record's table of ends.
func (f *fastDoc) valueEnd(raw []byte, i int, t []int32) int {
	if t == nil || i >= len(raw) {
		return valueEnd(raw, i)
	}
	if e := t[i]; e != 0 {
		return int(e &^ plainEnd)
	}
	switch raw[i] {
	case '"':
		e := noteString(raw, i)
		t[i] = e
		f.toks = append(f.toks, int32(i))
		return int(e &^ plainEnd)
	case '{', '[':
	default:
		return valueEnd(raw, i)
	}
	// A container: every string and container inside noted on the way.
	stack := f.endStack[:0]
	for j := i; j < len(raw); j++ {
		switch structural[raw[j]] {
		case 0:
			continue
		case '"':
			e := t[j]
			if e == 0 {
				e = noteString(raw, j)
				t[j] = e
				f.toks = append(f.toks, int32(j))
			}
			j = int(e&^plainEnd) - 1
		case '{':
			if e := t[j]; e != 0 && j != i { // an inner container met before
				j = int(e) - 1
				continue
			}
			stack = append(stack, int32(j))
		case '}':
			s := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			t[s] = int32(j + 1)
			if len(stack) == 0 {
				f.endStack = stack
				return j + 1
			}
		}
	}
	f.endStack = stack
	return len(raw) // not JSON: the caller said it was
}

// members is members with the record's table of ends.
func (f *fastDoc) members(raw []byte, i int, fn func(k []byte, v span) bool) {
	t := f.endTable(raw)
	if t == nil {
		members(raw, i, fn)
		return
	}
	if f.compact {
		// The check noted every end and met no blank: a member's value
		// follows its key's colon, the next key its value's comma.
		for i++; i < len(raw) && raw[i] == '"'; {
			ke := int(t[i] &^ plainEnd)
			ve := int(t[ke+1] &^ plainEnd)
			if !fn(raw[i+1:ke-1], span{ke + 1, ve}) {
				return
			}
			if i = ve; i < len(raw) && raw[i] == ',' {
				i++
			}
		}
		return
	}
	i = skipWS(raw, i+1)
	for i < len(raw) && raw[i] == '"' {
		// Ends noted before are read here, without a call: objects
		// are read once per level.
		ke := int(t[i] &^ plainEnd)
		if ke == 0 {
			ke = f.valueEnd(raw, i, t)
		}
		k := raw[i+1 : ke-1]
		i = skipWS(raw, ke)
		i = skipWS(raw, i+1) // ':'
		if i >= len(raw) {
			return // not JSON: the caller said it was
		}
		ve := int(t[i] &^ plainEnd)
		if ve == 0 {
			ve = f.valueEnd(raw, i, t)
		}
		if !fn(k, span{i, ve}) {
			return
		}
		i = skipWS(raw, ve)
		if i < len(raw) && raw[i] == ',' {
			i = skipWS(raw, i+1)
		}
	}
}

// elements is elements with the record's table of ends.
func (f *fastDoc) elements(raw []byte, v span, fn func(x span) bool) {
	t := f.endTable(raw)
	if t == nil {
		elements(raw, v, fn)
		return
	}
	if f.compact {
		// As members: elements follow commas.
		for i := v.s + 1; i < v.e && raw[i] != ']'; {
			e := int(t[i] &^ plainEnd)
			if !fn(span{i, e}) {
				return
			}
			if i = e; i < v.e && raw[i] == ',' {
				i++
			}
		}
		return
	}
	i := skipWS(raw, v.s+1)
	for i < v.e && raw[i] != ']' {
		e := int(t[i] &^ plainEnd)
		if e == 0 {
			e = f.valueEnd(raw, i, t)
		}
		if !fn(span{i, e}) {
			return
		}
		i = skipWS(raw, e)
		if i < v.e && raw[i] == ',' {
			i = skipWS(raw, i+1)
		}
	}
}

// escaped reports whether the text k of a key holds a backslash: without
// a search when k lies in the record and its token was noted plain (or
// check found every string of the record plain).
func (f *fastDoc) escaped(k []byte) bool {
	if at := uintptr(unsafe.Pointer(unsafe.SliceData(k))) - uintptr(unsafe.Pointer(unsafe.SliceData(f.rec))); at < uintptr(len(f.rec)) {
		// A key of the record: its token's note tells, when plain.
		if f.ascii || at > 0 && f.endsReady && int(at) <= len(f.ends) && f.ends[at-1] == int32(int(at)+len(k)+1)|plainEnd {
			return false
		}
	}
	return bytes.IndexByte(k, '\\') >= 0
}
