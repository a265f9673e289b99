package tail

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// growing is a stream that returns only what was added so far, then io.EOF,
// like a file being appended to.
type growing struct {
	data []byte
	pos  int
}

func (g *growing) Read(p []byte) (int, error) {
	if g.pos == len(g.data) {
		return 0, io.EOF
	}
	n := copy(p, g.data[g.pos:])
	g.pos += n
	return n, nil
}

type piece struct {
	Line    string
	TooLong int64
	End     int64
}

// splitAll feeds input to a splitter in chunks of the given sizes (cycled),
// collecting everything it returns, then the rest.
func splitAll(input []byte, chunks []int, max int) ([]piece, error) {
	g := &growing{}
	s := newSplitter(g, 0, max)
	var out []piece
	for i, fed := 0, 0; ; i++ {
		for {
			line, n, tooLong, err := s.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, err
			}
			p := piece{End: s.done}
			if tooLong {
				p.TooLong = n
			} else {
				p.Line = string(line)
			}
			out = append(out, p)
		}
		if fed == len(input) {
			break
		}
		n := len(input) - fed
		if len(chunks) > 0 && chunks[i%len(chunks)] > 0 {
			n = min(n, chunks[i%len(chunks)])
		}
		g.data = append(g.data, input[fed:fed+n]...)
		fed += n
	}
	if s.partial() {
		line, n, tooLong := s.rest()
		p := piece{End: s.done}
		if tooLong {
			p.TooLong = n
		} else {
			p.Line = string(line)
		}
		out = append(out, p)
	}
	return out, nil
}

// naive splits input the obvious way.
func naive(input []byte, max int) []piece {
	var out []piece
	var off int64
	for len(input) > 0 {
		line, rest, found := bytes.Cut(input, []byte{'\n'})
		off += int64(len(line))
		if found {
			off++
		}
		p := piece{End: off}
		if len(line) > max {
			p.TooLong = int64(len(line))
		} else {
			p.Line = string(bytes.TrimSuffix(line, []byte{'\r'}))
		}
		out = append(out, p)
		input = rest
	}
	return out
}

func TestSplitter(t *testing.T) {
	long := strings.Repeat("y", 200<<10) // longer than the read buffer
	for _, c := range []struct {
		name   string
		input  string
		chunks []int
		max    int
	}{
		{"empty", "", nil, 10},
		{"lines", "a\nbb\r\n\nccc\n", nil, 10},
		{"bytewise", "a\nbb\r\n\nccc\n", []int{1}, 10},
		{"partial last line", "a\nbcd", []int{3}, 10},
		{"too long in pieces", "ok\n" + strings.Repeat("x", 25) + "\nok2\n", []int{4, 7}, 10},
		{"exactly max", strings.Repeat("x", 10) + "\n" + strings.Repeat("x", 11) + "\n", []int{5}, 10},
		{"too long partial at the end", "a\n" + strings.Repeat("x", 30), []int{8}, 10},
		{"line beyond the read buffer", "a\n" + long + "\nb\n", []int{70 << 10}, 300 << 10},
		{"too long beyond the read buffer", "a\n" + long + "\nb\n", []int{70 << 10}, 100 << 10},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := splitAll([]byte(c.input), c.chunks, c.max)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(naive([]byte(c.input), c.max), got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestSplitterKeepsTheHead(t *testing.T) {
	input := strings.Repeat("0123456789abcdef\n", 40) // 680 bytes
	s := newSplitter(strings.NewReader(input), 0, 1000)
	s.keepHead = true
	for {
		if _, _, _, err := s.next(); err != nil {
			break
		}
	}
	if string(s.head) != input[:prefixMax] {
		t.Errorf("head = %q, want the first %d bytes", s.head, prefixMax)
	}
}

func FuzzSplitter(f *testing.F) {
	f.Add([]byte("a\nbb\r\n\nccc\nd"), uint8(3), uint8(5))
	f.Add([]byte("xxxxxxxxxxxxxxxxxxxx\nyy\n"), uint8(1), uint8(4))
	f.Fuzz(func(t *testing.T, input []byte, chunk, max uint8) {
		got, err := splitAll(input, []int{int(chunk)}, int(max))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(naive(input, int(max)), got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}
