package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/vigil-project/vigil/internal/alert"
	"github.com/vigil-project/vigil/internal/input"
	"github.com/vigil-project/vigil/internal/normalize"
)

// normalizeRecord turns a raw record into ECS (Azure activity logs are
// detected per record; ECS passes through).
func normalizeRecord(raw []byte) ([]byte, error) {
	out, _, err := normalize.Normalize(raw, normalize.Auto, normalize.Options{})
	return out, err
}

func lookupDoc(doc map[string]any, path string) (any, bool) { return alert.Lookup(doc, path) }

// eachRecord reads every record of paths ('-' is stdin), reporting bad
// records and unreadable files on stderr as "vigil <cmd>: ..." and counting
// them. fn gets each good record; it returns false to count the record as
// bad (it has reported why).
func eachRecord(env *Env, cmd string, paths []string, fn func(rec input.Record) bool) (bad int) {
	for _, p := range paths {
		r, err := input.Open(p, env.Stdin)
		if err != nil {
			fmt.Fprintf(env.Stderr, "vigil %s: %v\n", cmd, err)
			bad++
			continue
		}
		for {
			rec, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			var de *input.DecodeError
			if errors.As(err, &de) {
				bad++
				fmt.Fprintf(env.Stderr, "vigil %s: %v (record skipped)\n", cmd, de)
				continue
			}
			if err != nil {
				bad++
				fmt.Fprintf(env.Stderr, "vigil %s: %s: %v\n", cmd, p, err)
				break
			}
			if !fn(rec) {
				bad++
			}
		}
		r.Close()
	}
	return bad
}
