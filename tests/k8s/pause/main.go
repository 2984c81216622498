// Command pause is the pod sandbox's process for the test node
// (tests/k8s): no image registry is reachable here, so containerd's
// sandbox_image is built from this.  Like Kubernetes' own pause, it sleeps
// until SIGINT or SIGTERM and reaps the orphans a shared pid namespace
// hands it.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	c := make(chan os.Signal, 4)
	signal.Notify(c, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range c {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			var ws syscall.WaitStatus
			if pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil); pid <= 0 || err != nil {
				break
			}
		}
	}
}
