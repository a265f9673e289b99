package match

import (
	"bytes"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode"
	"unicode/utf8"
)

// lucRegexp is a compiled regex/regex~ pattern with quick necessary
// conditions on the value, tested before the regular expression (Go's
// engine runs over the whole value even when its last byte rules a match
// out, and Elastic's `user_agent.original regex~ "(azure|sharp|blood)
// (hound)/.*"` is tried on every Azure event):
//
//   - first and last: the bytes a non-empty match can start and end with
//     (any byte from 0x80 up stands for every non-ASCII rune, and for
//     invalid UTF-8, which the engine reads as U+FFFD);
//   - lits: texts one of which every match contains; for a fold pattern
//     they are lower case, compared with an ASCII value lowered (a
//     non-ASCII value is left to the engine).
type lucRegexp struct {
	re          *regexp.Regexp
	first, last *[256]bool // nil: any byte
	lits        []string   // nil: none known
	fold        bool
	blits       [][]byte // lits, when fold
}

func newLucRegexp(re *regexp.Regexp, fold bool) *lucRegexp {
	r := &lucRegexp{re: re, fold: fold}
	p, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return r
	}
	p = p.Simplify()
	// luceneRegexp anchors the pattern: ^(?s:...)$.
	if p.Op != syntax.OpConcat || len(p.Sub) < 3 || p.Sub[0].Op != syntax.OpBeginText || p.Sub[len(p.Sub)-1].Op != syntax.OpEndText {
		return r
	}
	body := &syntax.Regexp{Op: syntax.OpConcat, Sub: p.Sub[1 : len(p.Sub)-1]}
	r.first, r.last = edgeBytes(body, false), edgeBytes(body, true)
	if lits := reLits(body, fold); lits != nil && (!fold || asciiLower(lits)) && shortest(lits) > 0 {
		r.lits = lits
		if fold {
			for _, l := range lits {
				r.blits = append(r.blits, []byte(l))
			}
		}
	}
	return r
}

// match reports whether the whole of s matches.
func (r *lucRegexp) match(s string) bool {
	if s != "" && (r.first != nil && !r.first[s[0]] || r.last != nil && !r.last[s[len(s)-1]]) {
		return false
	}
	if r.lits != nil && !r.mayContain(s) {
		return false
	}
	return r.re.MatchString(s)
}

// mayContain reports whether s can hold one of the literals.
func (r *lucRegexp) mayContain(s string) bool {
	if r.fold {
		var buf [256]byte
		if len(s) > len(buf) {
			return true
		}
		b, ok := lowerASCIIInto(buf[:0], s)
		if !ok {
			return true
		}
		for _, l := range r.blits {
			if bytes.Contains(b, l) {
				return true
			}
		}
		return false
	}
	for _, l := range r.lits {
		if strings.Contains(s, l) {
			return true
		}
	}
	return false
}

// edgeBytes returns the bytes a match of re starts (last: ends) with, nil
// when re may match nothing there or any byte can.
func edgeBytes(re *syntax.Regexp, last bool) *[256]bool {
	var set [256]bool
	if !addEdge(&set, re, last) {
		return nil
	}
	return &set
}

func addEdge(set *[256]bool, re *syntax.Regexp, last bool) bool {
	switch re.Op {
	case syntax.OpLiteral:
		if len(re.Rune) == 0 {
			return false
		}
		c := re.Rune[0]
		if last {
			c = re.Rune[len(re.Rune)-1]
		}
		addRune(set, c)
		if re.Flags&syntax.FoldCase != 0 {
			for f := unicode.SimpleFold(c); f != c; f = unicode.SimpleFold(f) {
				addRune(set, f)
			}
		}
		return true
	case syntax.OpCharClass:
		if len(re.Rune) == 0 {
			return false
		}
		for i := 0; i+1 < len(re.Rune); i += 2 {
			lo, hi := re.Rune[i], re.Rune[i+1]
			for c := lo; c <= hi && c < utf8.RuneSelf; c++ {
				set[c] = true
			}
			if hi >= utf8.RuneSelf {
				addRune(set, utf8.RuneSelf)
			}
		}
		return true
	case syntax.OpCapture, syntax.OpPlus:
		return addEdge(set, re.Sub[0], last)
	case syntax.OpRepeat:
		return re.Min >= 1 && addEdge(set, re.Sub[0], last)
	case syntax.OpConcat:
		if len(re.Sub) == 0 {
			return false
		}
		if last {
			return addEdge(set, re.Sub[len(re.Sub)-1], last)
		}
		return addEdge(set, re.Sub[0], last)
	case syntax.OpAlternate:
		for _, s := range re.Sub {
			if !addEdge(set, s, last) {
				return false
			}
		}
		return true
	}
	return false
}

// addRune marks the byte c is encoded from, every byte from 0x80 up for a
// non-ASCII rune.
func addRune(set *[256]bool, c rune) {
	if c < utf8.RuneSelf {
		set[c] = true
		return
	}
	for b := utf8.RuneSelf; b < 256; b++ {
		set[b] = true
	}
}

// reLits returns literals one of which every match of re contains: a
// literal itself, the best of a concatenation's operands, all of an
// alternation's when each has some, those of what repeats at least once.
// A case-insensitive literal (its runes are their fold orbits' least) is
// lowered, and known only in a fold expression.
func reLits(re *syntax.Regexp, fold bool) []string {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase == 0 {
			return []string{string(re.Rune)}
		}
		if fold {
			return []string{strings.ToLower(string(re.Rune))}
		}
	case syntax.OpCapture, syntax.OpPlus:
		return reLits(re.Sub[0], fold)
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return reLits(re.Sub[0], fold)
		}
	case syntax.OpConcat:
		var best []string
		for _, s := range re.Sub {
			if ls := reLits(s, fold); ls != nil && (best == nil || shortest(ls) > shortest(best)) {
				best = ls
			}
		}
		return best
	case syntax.OpAlternate:
		var out []string
		for _, s := range re.Sub {
			ls := reLits(s, fold)
			if ls == nil {
				return nil
			}
			out = append(out, ls...)
		}
		return out
	}
	return nil
}

// asciiLower reports whether every literal is ASCII without upper case
// letters: what a lowered ASCII value can contain.
func asciiLower(lits []string) bool {
	for _, l := range lits {
		for i := 0; i < len(l); i++ {
			if c := l[i]; c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
				return false
			}
		}
	}
	return true
}
