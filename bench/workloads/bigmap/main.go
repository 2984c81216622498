// Command gmb-bigmap is benchmark (c): a steady large-map workload.  A few
// big maps are preloaded to their steady size, then a loop of random
// inserts, updates (3 in 4) and deletes (1 in 4) keeps them at about that
// size: the maps are busy but no longer grow.  It reports operations per
// second over the measured phase and a per-second series over the run.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"gomaptrace.bench/meter"
)

func main() {
	warmup := flag.Duration("warmup", 2*time.Second, "unmeasured run-in (after the preload)")
	dur := flag.Duration("d", 10*time.Second, "measured phase")
	nmaps := flag.Int("maps", 4, "number of big maps")
	keyspace := flag.Uint64("keyspace", 1<<18, "distinct keys per map")
	flag.Parse()

	maps := make([]map[uint64]uint64, *nmaps)
	x := uint64(0x9E3779B97F4A7C15)
	next := func() uint64 { // xorshift64
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		return x
	}
	t0 := time.Now()
	for i := range maps {
		maps[i] = make(map[uint64]uint64)
		for k := uint64(0); k < *keyspace; k++ {
			if next()&3 != 0 { // the steady fill: 3/4 of the key space
				maps[i][k] = k
			}
		}
	}
	preload := time.Since(t0)
	entries := 0
	for _, m := range maps {
		entries += len(m)
	}

	start := time.Now()
	measureFrom := start.Add(*warmup)
	end := measureFrom.Add(*dur)
	var total, atMeasure uint64
	var measuredAt time.Time
	var cpuAtMeasure float64
	series := []uint64{0}
	sec := start.Add(time.Second)
	nm := uint64(len(maps))
	for {
		for i := 0; i < 1024; i++ {
			r := next()
			m := maps[r%nm]
			k := (r >> 8) % *keyspace
			if (r>>40)&3 == 0 {
				delete(m, k)
			} else {
				m[k] = r
			}
		}
		total += 1024
		series[len(series)-1] += 1024
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
			after := 0
			for _, m := range maps {
				after += len(m)
			}
			fmt.Printf("RESULT workload=bigmap rate=%.1f count=%d secs=%.3f total=%d elapsed=%.3f cpu_s=%.3f mcpu_s=%.3f maps=%d entries_before=%d entries_after=%d preload_s=%.3f\n",
				float64(n)/secs, n, secs, total, elapsed, meter.CPUSeconds(), mcpu, len(maps), entries, after, preload.Seconds())
			meter.PrintSeries(series)
			os.Exit(0)
		}
	}
}
