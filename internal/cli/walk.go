package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// defaultGlobs select the files a directory walk reads when no --glob is
// given: JSON and NDJSON exports, gzipped or not.
var defaultGlobs = []string{"*.json", "*.ndjson", "*.jsonl", "*.json.gz", "*.ndjson.gz", "*.jsonl.gz"}

// inputFiles turns the PATH arguments of hunt and search into the files to
// read: a file is read as named (whatever its name), '-' is stdin, and a
// directory is walked recursively, in lexical order, for the files the
// globs select (defaultGlobs when none). A path that does not exist or
// cannot be read, and a directory where no file matches, is an input
// error: reported on stderr (with what to do), counted, and left out.
type inputFiles struct {
	globs  []string
	report func(msg string)
	errors int
}

// expand returns the files to read.
func (in *inputFiles) expand(args []string) []string {
	globs := in.globs
	if len(globs) == 0 {
		globs = defaultGlobs
	}
	var files []string
	for _, arg := range args {
		if arg == "-" {
			files = append(files, arg)
			continue
		}
		st, err := os.Stat(arg)
		if err != nil {
			in.fail(arg, err)
			continue
		}
		if !st.IsDir() {
			if in.readable(arg) {
				files = append(files, arg)
			}
			continue
		}
		found := 0
		root := arg
		if lst, err := os.Lstat(arg); err == nil && lst.Mode()&fs.ModeSymlink != 0 {
			// A link to a directory named on the command line is walked
			// (WalkDir does not follow its root when it is a link).
			root = arg + string(filepath.Separator)
		}
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				// An unreadable directory or file below: said, the rest
				// of the walk goes on.
				in.fail(p, err)
				if d != nil && d.IsDir() && p != root {
					return fs.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			if d.Type()&fs.ModeSymlink != 0 {
				// A link to a file is read; links to directories are not
				// followed (no cycles).
				st, err := os.Stat(p)
				if err != nil || !st.Mode().IsRegular() {
					return nil
				}
			} else if !d.Type().IsRegular() {
				return nil
			}
			rel, err := filepath.Rel(arg, p)
			if err != nil {
				return nil
			}
			if matchAnyGlob(globs, filepath.ToSlash(rel)) {
				found++
				if in.readable(p) {
					files = append(files, p)
				}
			}
			return nil
		})
		if err != nil {
			in.fail(arg, err)
			continue
		}
		if found == 0 {
			in.errors++
			in.report(fmt.Sprintf("input %s: a directory where no file matches %s: give --glob PATTERN to select its files (e.g. --glob '**/*.log')",
				arg, strings.Join(globs, " or ")))
		}
	}
	return files
}

// readable reports whether the file p can be opened, reporting it as an
// input error when not.
func (in *inputFiles) readable(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		in.fail(p, err)
		return false
	}
	f.Close()
	return true
}

func (in *inputFiles) fail(p string, err error) {
	in.errors++
	switch {
	case errors.Is(err, fs.ErrNotExist):
		in.report(fmt.Sprintf("input %s: no such file or directory: check the path", p))
	case errors.Is(err, fs.ErrPermission):
		in.report(fmt.Sprintf("input %s: permission denied: check its permissions", p))
	default:
		in.report(fmt.Sprintf("input %s: %v", p, unwrapPathError(err)))
	}
}

// unwrapPathError drops the operation and path a *fs.PathError repeats.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// matchAnyGlob reports whether rel (a slash-separated path relative to the
// walked directory) matches one of globs.
func matchAnyGlob(globs []string, rel string) bool {
	for _, g := range globs {
		if matchGlob(g, rel) {
			return true
		}
	}
	return false
}

// matchGlob matches a --glob pattern: a pattern without '/' is matched
// against the file's base name (path.Match syntax: * ? [...] \); a pattern
// with '/' against the path relative to the walked directory, segment by
// segment, where a '**' segment matches any number of directories (none
// included).
func matchGlob(pattern, rel string) bool {
	if !strings.Contains(pattern, "/") {
		ok, _ := path.Match(pattern, path.Base(rel))
		return ok
	}
	return matchSegments(strings.Split(strings.TrimPrefix(pattern, "./"), "/"), strings.Split(rel, "/"))
}

func matchSegments(pat, segs []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			rest := pat[1:]
			for i := 0; i <= len(segs); i++ {
				if matchSegments(rest, segs[i:]) {
					return true
				}
			}
			return false
		}
		if len(segs) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], segs[0]); !ok {
			return false
		}
		pat, segs = pat[1:], segs[1:]
	}
	return len(segs) == 0
}

// checkGlobs returns an error for a malformed --glob pattern.
func checkGlobs(globs []string) error {
	for _, g := range globs {
		for _, seg := range strings.Split(g, "/") {
			if _, err := path.Match(seg, ""); err != nil {
				return fmt.Errorf("--glob %q: malformed pattern (path.Match syntax: * ? [a-z] \\, and ** for any directories)", g)
			}
		}
	}
	return nil
}
