package event

// ScanUnder calls fn, in document order, for every leaf that WalkUnder
// visits, reading the text instead of decoding the document: a key
// repeated within one object gives every occurrence (Walk, like
// encoding/json, keeps the last), so what ScanUnder passes to fn is a
// superset of what WalkUnder does. It stops when fn returns false and
// reports whether fn stopped it. fn's path and value are valid only during
// the call. A malformed document yields nothing.
func (e *Event) ScanUnder(head string, fn func(path string, v Value) bool) (stopped bool) {
	if e.Err() != nil {
		return false
	}
	w := rawWalker{s: scanner{d: e.raw, t: emptyTrie, e: e}, head: head, fn: fn, path: e.path[:0]}
	i := skipWS(w.s.d, 0)
	w.object(i)
	e.path = w.path
	return w.stopped
}

// rawWalker is ScanUnder's state: the scanner's primitives over the text,
// and the path of the value being read.
type rawWalker struct {
	s       scanner
	head    string
	fn      func(string, Value) bool
	path    []byte
	stopped bool
}

// object reads the object whose '{' is at i and returns the offset after
// it, or -1 when it stopped (or on a fault, which validation excludes).
func (w *rawWalker) object(i int) int {
	d := w.s.d
	i = skipWS(d, i+1)
	if i < len(d) && d[i] == '}' {
		return i + 1
	}
	for i < len(d) && d[i] == '"' {
		var key []byte
		j := asciiRun(d, i+1)
		if j < len(d) && d[j] == '"' {
			key, j = d[i+1:j], j+1
		} else {
			w.s.e.scratch, j = w.s.unquote(w.s.e.scratch[:0], i+1)
			key = w.s.e.scratch
		}
		if j < 0 {
			return -1
		}
		n := len(w.path)
		if n > 0 {
			w.path = append(w.path, '.')
		}
		w.path = append(w.path, key...)
		if j = skipWS(d, j); j >= len(d) || d[j] != ':' {
			return -1
		}
		j = skipWS(d, j+1)
		if w.head == "" || under(aliasString(w.path), w.head) {
			j = w.value(j)
		} else {
			j, _ = w.s.skip(j)
		}
		w.path = w.path[:n]
		if j < 0 {
			return -1
		}
		if j = skipWS(d, j); j >= len(d) {
			return -1
		}
		if d[j] == '}' {
			return j + 1
		}
		i = skipWS(d, j+1) // past the ','
	}
	return -1
}

// array reads the array whose '[' is at i: its elements have its path.
func (w *rawWalker) array(i int) int {
	d := w.s.d
	i = skipWS(d, i+1)
	if i < len(d) && d[i] == ']' {
		return i + 1
	}
	for i < len(d) {
		j := w.value(i)
		if j < 0 {
			return -1
		}
		if j = skipWS(d, j); j >= len(d) {
			return -1
		}
		if d[j] == ']' {
			return j + 1
		}
		i = skipWS(d, j+1) // past the ','
	}
	return -1
}

// value reads the value at i, passing a leaf to fn.
func (w *rawWalker) value(i int) int {
	s := &w.s
	var v Value
	var j int
	switch c := s.d[i]; c {
	case '{':
		return w.object(i)
	case '[':
		return w.array(i)
	case '"':
		var str string
		j, str = s.str(i + 1)
		v = Value{Kind: KindString, Str: str}
	case 't', 'f':
		word := "true"
		if c == 'f' {
			word = "false"
		}
		j = s.literal(i, word)
		v = Value{Kind: KindBool, Bool: c == 't'}
	case 'n':
		return s.literal(i, "null")
	default:
		j = s.number(i)
		if j >= 0 {
			v = Value{Kind: KindNumber, Str: aliasString(s.d[i:j]), Num: parseNumber(s.d[i:j])}
		}
	}
	if j < 0 {
		return -1
	}
	if !w.fn(aliasString(w.path), v) {
		w.stopped = true
		return -1
	}
	return j
}
