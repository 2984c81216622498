// Command gmb-churn is benchmark (b): create a map, insert -keys keys, drop
// it, in a loop, for a fixed time.  It reports maps per second over the
// measured phase (after -warmup) and a per-second series over the whole run.
//
// Every map escapes to the heap (it is stored in a global before the next
// one replaces it), as the maps of a real program usually do; with -stack the
// map stays on the goroutine stack instead.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"gomaptrace.bench/meter"
)

var sink map[int64]int64

//go:noinline
func heapMap(keys int) {
	m := make(map[int64]int64)
	for k := 0; k < keys; k++ {
		m[int64(k)] = int64(k)
	}
	sink = m
}

//go:noinline
func stackMap(keys int) int {
	m := make(map[int64]int64)
	for k := 0; k < keys; k++ {
		m[int64(k)] = int64(k)
	}
	return len(m)
}

func main() {
	warmup := flag.Duration("warmup", 2*time.Second, "unmeasured run-in")
	dur := flag.Duration("d", 10*time.Second, "measured phase")
	keys := flag.Int("keys", 64, "keys inserted into each map")
	stack := flag.Bool("stack", false, "keep the map on the stack (does not escape)")
	flag.Parse()

	start := time.Now()
	measureFrom := start.Add(*warmup)
	end := measureFrom.Add(*dur)
	var total, atMeasure uint64
	var measuredAt time.Time
	var cpuAtMeasure float64
	series := []uint64{0}
	sec := start.Add(time.Second)
	sum := 0
	for {
		// check the clock often enough that a 100x slower traced run
		// still ends close to its deadline
		for i := 0; i < 16; i++ {
			if *stack {
				sum += stackMap(*keys)
			} else {
				heapMap(*keys)
			}
		}
		total += 16
		series[len(series)-1] += 16
		now := time.Now()
		for now.After(sec) {
			series = append(series, 0)
			sec = sec.Add(time.Second)
		}
		if measuredAt.IsZero() && !now.Before(measureFrom) {
			measuredAt, atMeasure = now, total
			cpuAtMeasure = meter.CPUSeconds()
		}
		if !now.Before(end) {
			secs := now.Sub(measuredAt).Seconds()
			elapsed := now.Sub(start).Seconds()
			mcpu := meter.CPUSeconds() - cpuAtMeasure
			n := total - atMeasure
			fmt.Printf("RESULT workload=churn rate=%.1f count=%d secs=%.3f total=%d elapsed=%.3f cpu_s=%.3f mcpu_s=%.3f keys=%d stack=%v sum=%d\n",
				float64(n)/secs, n, secs, total, elapsed, meter.CPUSeconds(), mcpu, *keys, *stack, sum)
			meter.PrintSeries(series)
			os.Exit(0)
		}
	}
}
