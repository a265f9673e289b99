package datemath_test

import (
	"fmt"
	"time"

	"github.com/vigil-project/vigil/internal/datemath"
)

func Example() {
	now := time.Date(2026, 3, 14, 10, 30, 0, 0, time.UTC)
	for _, s := range []string{"now-25m", "now/d", "2024-05-01", "2024-01-31||+1M/d"} {
		e, err := datemath.Parse(s)
		if err != nil {
			panic(err)
		}
		// Round down for gte and lt, up for gt and lte.
		fmt.Printf("%-18s %s  %s\n", s, e.Resolve(now, false).Format(time.RFC3339Nano), e.Resolve(now, true).Format(time.RFC3339Nano))
	}
	// Output:
	// now-25m            2026-03-14T10:05:00Z  2026-03-14T10:05:00Z
	// now/d              2026-03-14T00:00:00Z  2026-03-14T23:59:59.999Z
	// 2024-05-01         2024-05-01T00:00:00Z  2024-05-01T23:59:59.999999999Z
	// 2024-01-31||+1M/d  2024-02-29T00:00:00Z  2024-02-29T23:59:59.999Z
}

func ExampleParseInterval() {
	d, err := datemath.ParseInterval("5m")
	fmt.Println(d, err)
	_, err = datemath.ParseInterval("5x")
	fmt.Println(err)
	// Output:
	// 5m0s <nil>
	// interval "5x": unknown unit "x"; use s, m, h or d, e.g. "5m"
}
