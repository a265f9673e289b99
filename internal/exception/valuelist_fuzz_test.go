package exception

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzValueList checks the value list loader against a naive reading of the
// file: a list that loads holds its non-blank, non-comment lines, trimmed,
// and an ip or ip_range list contains every address and network it lists;
// a list that does not load says which lines are wrong.
func FuzzValueList(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "valuelists", "*.txt"))
	if err != nil || len(files) == 0 {
		f.Fatalf("seed lists: %v %v", files, err)
	}
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		for _, typ := range []byte{0, 1, 2} {
			f.Add(data, typ)
		}
	}
	f.Add([]byte("::ffff:10.0.0.1\r\nfe80::1%eth0\n10.0.0.0/33\n0.0.0.0/0\n::/0\n1.2.3.4-1.2.3.4\n"), byte(2))
	types := []string{"keyword", "ip", "ip_range", "long", "text"}
	f.Fuzz(func(t *testing.T, data []byte, typ byte) {
		ty := types[int(typ)%len(types)]
		vl, err := parseValueList("l", ty, "list.txt", bytes.NewReader(data))
		lines := strings.Split(string(data), "\n")
		if err != nil {
			var errs Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("error %v is not a list of positioned errors", err)
			}
			for _, e := range errs {
				if e.File != "list.txt" || e.Line < 1 || e.Line > len(lines) || e.Msg == "" {
					t.Errorf("error %+v: want list.txt and a line in 1..%d", e, len(lines))
				}
			}
			return
		}
		var want []string
		for _, l := range lines {
			if v := strings.TrimSpace(l); v != "" && !strings.HasPrefix(v, "#") {
				want = append(want, v)
			}
		}
		if diff := cmp.Diff(want, vl.Values); diff != "" {
			t.Fatalf("values (-naive +loaded):\n%s", diff)
		}
		if vl.ips == nil {
			return
		}
		for _, v := range vl.Values {
			var a netip.Addr
			if p, err := netip.ParsePrefix(v); err == nil {
				a = p.Masked().Addr()
			} else if pa, ok := parseAddr(v); ok {
				a = pa
			} else {
				continue // a range
			}
			if !vl.ips.contains(a.As16()) {
				t.Errorf("%s list does not contain its own value %q", ty, v)
			}
		}
	})
}
