package esql

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"math"
	"net/netip"
	"slices"
	"strings"
)

// More of Elasticsearch's documented functions, beyond what the corpus
// uses: hashes, BUCKET with a fixed span, math, IP_PREFIX, MV_MEDIAN.
func init() {
	hashFn := func(newHash func(string) (hash.Hash, bool)) func(c *compiler, e *Call, args []cexpr) (cexpr, error) {
		return func(c *compiler, e *Call, args []cexpr) (cexpr, error) {
			lo := 1
			if e.Name == "HASH" {
				lo = 2
			}
			if err := c.arity(e, args, lo, lo); err != nil {
				return cexpr{}, err
			}
			kinds := "s"
			if lo == 2 {
				kinds = "ss"
			}
			if err := c.needKinds(e, args, kinds); err != nil {
				return cexpr{}, err
			}
			return c.scalar(e, Keyword, args, func(r *Run, self *cexpr, v []any) any {
				alg, input := e.Name, v[0].(string)
				if lo == 2 {
					alg, input = v[0].(string), v[1].(string)
				}
				h, ok := newHash(alg)
				if !ok {
					r.fail(self, "java.security.NoSuchAlgorithmException: "+alg+" MessageDigest not available")
					return nil
				}
				h.Write([]byte(input))
				return hex.EncodeToString(h.Sum(nil))
			}), nil
		}
	}
	digest := func(alg string) (hash.Hash, bool) {
		switch strings.ToUpper(strings.ReplaceAll(alg, "-", "")) {
		case "MD5":
			return md5.New(), true
		case "SHA1":
			return sha1.New(), true
		case "SHA256":
			return sha256.New(), true
		case "SHA384":
			return sha512.New384(), true
		case "SHA512":
			return sha512.New(), true
		}
		return nil, false
	}
	for _, n := range []string{"HASH", "MD5", "SHA1", "SHA256"} {
		mvFunctions[n] = hashFn(digest)
	}
	mvFunctions["BUCKET"] = func(c *compiler, e *Call, args []cexpr) (cexpr, error) {
		if len(args) == 4 {
			return c.autoBucket(e, args)
		}
		if err := c.arity(e, args, 2, 2); err != nil {
			return cexpr{}, err
		}
		switch {
		case (args[0].typ.isDate() || args[0].typ == Null) && isSpan(args[1].typ):
			nanos := args[0].typ == DateNanos
			return c.scalar(e, args[0].typ, args, func(r *Run, self *cexpr, v []any) any {
				return truncDate(v[0].(int64), v[1], nanos)
			}), nil
		case (args[0].typ.isNumeric() || args[0].typ == Null) && args[1].typ.isNumeric() && args[1].konst:
			return c.scalar(e, Double, args, func(r *Run, self *cexpr, v []any) any {
				w := toFloat(v[1])
				if w <= 0 {
					return nil
				}
				return math.Floor(toFloat(v[0])/w) * w
			}), nil
		}
		return cexpr{}, c.errorf(e.At, "write BUCKET(@timestamp, 1 hour) or BUCKET(bytes, 100)",
			"BUCKET takes a date and a time span, a number and a constant width, or a field, a bucket count and a range")
	}
	mvFunctions["SIGNUM"] = func(c *compiler, e *Call, args []cexpr) (cexpr, error) {
		if err := c.arity(e, args, 1, 1); err != nil {
			return cexpr{}, err
		}
		if err := c.needKinds(e, args, "n"); err != nil {
			return cexpr{}, err
		}
		return c.scalar(e, Double, args, func(r *Run, self *cexpr, v []any) any {
			x := toFloat(v[0])
			switch {
			case x > 0:
				return 1.0
			case x < 0:
				return -1.0
			}
			return 0.0
		}), nil
	}
	mvFunctions["LOG"] = func(c *compiler, e *Call, args []cexpr) (cexpr, error) {
		if err := c.arity(e, args, 1, 2); err != nil {
			return cexpr{}, err
		}
		if err := c.needKinds(e, args, "nn"); err != nil {
			return cexpr{}, err
		}
		return c.scalar(e, Double, args, func(r *Run, self *cexpr, v []any) any {
			x := toFloat(v[len(v)-1])
			if x <= 0 {
				r.fail(self, "java.lang.ArithmeticException: Log of non-positive number")
				return nil
			}
			if len(v) == 1 {
				return math.Log(x)
			}
			base := toFloat(v[0])
			if base <= 0 || base == 1 {
				r.fail(self, "java.lang.ArithmeticException: Log of base 1")
				return nil
			}
			return math.Log(x) / math.Log(base)
		}), nil
	}
	mvFunctions["IP_PREFIX"] = func(c *compiler, e *Call, args []cexpr) (cexpr, error) {
		if err := c.arity(e, args, 3, 3); err != nil {
			return cexpr{}, err
		}
		if args[0].typ != IP && args[0].typ != Null {
			return cexpr{}, c.errorf(e.Args[0].Pos(), "", "IP_PREFIX needs an ip, not [%s] of type %s", e.Args[0], args[0].typ)
		}
		if err := c.needKinds(e, args, ".ii"); err != nil {
			return cexpr{}, err
		}
		return c.scalar(e, IP, args, func(r *Run, self *cexpr, v []any) any {
			a := v[0].(netip.Addr)
			bits := int(v[1].(int64))
			if a.Is6() {
				bits = int(v[2].(int64))
			}
			p, err := a.Prefix(bits)
			if err != nil {
				r.fail(self, "java.lang.IllegalArgumentException: Prefix length out of range")
				return nil
			}
			return p.Addr()
		}), nil
	}
	mvFunctions["MV_MEDIAN"] = mvNumeric(func(xs []any, t Type) any {
		switch t {
		case Integer, Long:
			ns := make([]int64, len(xs))
			for i, x := range xs {
				ns[i] = x.(int64)
			}
			return intMedian(ns) // exact, where a double would round large longs
		case UnsignedLong:
			us := make([]uint64, len(xs))
			for i, x := range xs {
				us[i] = x.(uint64)
			}
			return uintMedian(us)
		}
		fs := make([]float64, len(xs))
		for i, x := range xs {
			fs[i] = toFloat(x)
		}
		slices.Sort(fs)
		n := len(fs)
		if n%2 == 1 {
			return fs[n/2]
		}
		return (fs[n/2-1] + fs[n/2]) / 2
	})
}
