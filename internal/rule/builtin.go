package rule

import "github.com/vigil-project/vigil/rules"

// Builtin loads Vigil's built-in rule pack, embedded in the binary.
func Builtin(opts LoadOptions) (*Set, error) {
	set, err := LoadFS(rules.FS, ".", opts)
	if err != nil {
		return nil, err
	}
	for _, r := range set.Rules {
		r.File = "builtin:" + r.File
	}
	return set, nil
}
