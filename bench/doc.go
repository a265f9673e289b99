// Package bench is Vigil's benchmark: bench/gen generates the events,
// cmd/vigil-scan is the plain-JSON-scan baseline, cmd/vigil-bench runs and
// measures every step (bench/run is the one command). This package's tests
// check that the generated data makes the rules alert as planted, and its
// benchmarks run `vigil hunt` in-process, for CPU profiles:
//
//	go test ./bench -run '^$' -bench Hunt/pack -cpuprofile cpu.out
//	go tool pprof -top cpu.out
//
// See bench/README.md and docs/performance.md.
package bench
