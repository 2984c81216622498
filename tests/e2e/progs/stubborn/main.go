// Command stubborn ignores SIGTERM and SIGHUP and keeps adding to a map
// until it is killed: the kind of CMD `gomaptrace trace -- CMD` must not
// wait for forever.
package main

import (
	"fmt"
	"os/signal"
	"syscall"
	"time"
)

var kept = map[int]string{}

//go:noinline
func keep(i int) { kept[i] = fmt.Sprint(i) }

func main() {
	signal.Ignore(syscall.SIGTERM, syscall.SIGHUP)
	for i := 0; ; i++ {
		time.Sleep(2 * time.Millisecond)
		keep(i)
	}
}
