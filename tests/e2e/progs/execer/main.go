// Command execer runs a while, keeping a small bounded map busy, then
// replaces itself with another program (syscall.Exec, from whichever thread
// runs main: often not the process's first): the kind of launcher or
// self-updating service `gomaptrace trace -p` must follow across the exec.
//
//	execer [-after DUR] PROGRAM [ARGS...]
package main

import (
	"flag"
	"fmt"
	"os"
	"syscall"
	"time"
)

var recent = map[int]int{}

//go:noinline
func touch(i int) {
	if len(recent) >= 64 {
		for k := range recent {
			delete(recent, k)
			break
		}
	}
	recent[i] = i
}

func main() {
	after := flag.Duration("after", 3*time.Second, "how long to run before the exec")
	flag.Parse()
	if flag.NArg() < 1 {
		fmt.Fprintln(os.Stderr, "usage: execer [-after DUR] PROGRAM [ARGS...]")
		os.Exit(2)
	}
	end := time.Now().Add(*after)
	for i := 0; time.Now().Before(end); i++ {
		touch(i)
		time.Sleep(5 * time.Millisecond)
	}
	err := syscall.Exec(flag.Arg(0), flag.Args(), os.Environ())
	fmt.Fprintln(os.Stderr, "execer: exec:", err)
	os.Exit(1)
}
