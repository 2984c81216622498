// Command gmb-fleet is one process of the daemon footprint benchmark: it
// makes -maps maps, fills each past its first growth, then adds one key to
// each map every -every until -max entries, and sleeps until killed.  Two
// hundred of them give the daemon about 10,000 live, slowly growing maps.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

var maps []map[string]int

func main() {
	n := flag.Int("maps", 50, "maps in this process")
	initial := flag.Int("initial", 24, "entries each map starts with")
	every := flag.Duration("every", 2*time.Second, "one more entry per map this often")
	max := flag.Int("max", 1000, "stop growing at this many entries")
	flag.Parse()

	maps = make([]map[string]int, *n)
	for i := range maps {
		maps[i] = make(map[string]int)
		for k := 0; k < *initial; k++ {
			maps[i][fmt.Sprintf("k%d", k)] = k
		}
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	tick := time.NewTicker(*every)
	size := *initial
	for {
		select {
		case <-sig:
			os.Exit(0)
		case <-tick.C:
			if size >= *max {
				continue
			}
			for i := range maps {
				maps[i][fmt.Sprintf("k%d", size)] = size
			}
			size++
		}
	}
}
