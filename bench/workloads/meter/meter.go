// Package meter is what every benchmark workload reports the same way, for
// bench/run.sh and bench/report.py: its own CPU time, and the per-second
// series line.
package meter

import (
	"fmt"
	"strings"
	"syscall"
)

// CPUSeconds is this process's user+system CPU time so far (-1 if unknown).
func CPUSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return -1
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

// PrintSeries prints "SERIES v1 v2 ...": one value per second.
func PrintSeries(s []uint64) {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = fmt.Sprint(v)
	}
	fmt.Printf("SERIES %s\n", strings.Join(parts, " "))
}
