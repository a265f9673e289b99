package alert

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"hash"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// Undefined is JavaScript's undefined in an ObjectHash value: a field
// Kibana reads from a document that does not have it.
var Undefined = undefined{}

type undefined struct{}

// ObjectHash is the id Kibana's object-hash library (version 3, its
// defaults: SHA-1, hex) gives a value made of strings, numbers, booleans,
// null (nil), Undefined and arrays of those: the hex SHA-1 of the
// library's serialization ("array:N:" then each element, "string:LEN:"
// with the length in UTF-16 code units, "number:" with JavaScript's
// number formatting, "bool:true", "Null", "Undefined"). Kibana's ES|QL
// rule type derives its alert ids so. A value of another type is
// serialized as its string.
func ObjectHash(v any) string {
	h := sha1.New()
	writeObjectHash(h, v)
	return hex.EncodeToString(h.Sum(nil))
}

func writeObjectHash(h hash.Hash, v any) {
	switch x := v.(type) {
	case nil:
		h.Write([]byte("Null"))
	case undefined:
		h.Write([]byte("Undefined"))
	case string:
		fmt.Fprintf(h, "string:%d:", len(utf16.Encode([]rune(x))))
		h.Write([]byte(x))
	case bool:
		h.Write([]byte("bool:" + strconv.FormatBool(x)))
	case int:
		h.Write([]byte("number:" + jsNumber(float64(x))))
	case int64:
		h.Write([]byte("number:" + jsNumber(float64(x))))
	case float64:
		h.Write([]byte("number:" + jsNumber(x)))
	case []any:
		fmt.Fprintf(h, "array:%d:", len(x))
		for _, el := range x {
			writeObjectHash(h, el)
		}
	case []string:
		fmt.Fprintf(h, "array:%d:", len(x))
		for _, el := range x {
			writeObjectHash(h, el)
		}
	default:
		writeObjectHash(h, fmt.Sprint(x))
	}
}

// jsNumber formats f as JavaScript's Number.prototype.toString does:
// plain digits from 1e-6 up to 1e21, else the shortest mantissa with an
// exponent ("1e+21", "1.5e-8").
func jsNumber(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		return "0"
	}
	if a := math.Abs(f); a >= 1e-6 && a < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // 1e+21, 1.5e-08
	mant, exp, _ := strings.Cut(s, "e")
	sign := exp[0]
	exp = strings.TrimLeft(exp[1:], "0")
	return mant + "e" + string(sign) + exp
}

// jsISOTime is JavaScript's (and moment's) toISOString of t: UTC,
// milliseconds always written.
func jsISOTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// ESQLAggregatingID is the id Kibana gives the alert of row n (counted
// from 0) of an aggregating ES|QL rule's result (one with STATS, or
// without _id): the object hash of the execution's range (from's and
// to's ISO strings joined), the rule's query as written, "space:rule"
// and n. The same execution run again makes the same ids; another
// execution makes new ones.
func ESQLAggregatingID(from, to time.Time, query, space, ruleUUID string, n int) string {
	return ObjectHash([]any{jsISOTime(from) + jsISOTime(to), query, space + ":" + ruleUUID, n})
}

// ESQLDocumentID is the id Kibana gives the alert of a source document
// of a non-aggregating ES|QL rule whose result has _id: the object hash
// of the document's _id, its version (Kibana does not fetch versions:
// Undefined), its index, "space:rule" and, when the query expands fields
// with MV_EXPAND (all of them among the result's columns), the row's
// values of those fields (null and empty ones, and false and 0, left
// out, as JavaScript's filter(Boolean) does). The same document found by
// a later execution makes the same id, so it is alerted on once.
func ESQLDocumentID(id, index, space, ruleUUID string, expanded []any) string {
	parts := []any{id, Undefined, index, space + ":" + ruleUUID}
	for _, v := range expanded {
		if jsTruthy(v) {
			parts = append(parts, v)
		}
	}
	return ObjectHash(parts)
}

// jsTruthy is JavaScript's Boolean(v) for the values an ES|QL row holds.
func jsTruthy(v any) bool {
	switch x := v.(type) {
	case nil, undefined:
		return false
	case string:
		return x != ""
	case bool:
		return x
	case int:
		return x != 0
	case int64:
		return x != 0
	case float64:
		return x != 0 && !math.IsNaN(x)
	}
	return true
}
