// etcdload: a load client for the real etcd test of gomaptrace
// (tests/e2e/test_real.sh), using etcd's own client module (client/v3 3.5,
// which speaks the v3 gRPC API of Debian's etcd 3.4 server).
//
//	-mode leak    every tick grants a lease and opens a watch on a new key,
//	              and never revokes or cancels either: the lessor's lease
//	              map, the watch groups' maps and the watch stream's maps
//	              (its sendLoop's local set of watch ids among them) grow
//	              without end.
//	-mode steady  the same rate, but keeps only the newest -keep leases and
//	              watches (each older lease is revoked, each older watch
//	              cancelled).
//
// Every second it also writes a key and reads it back: a health check of
// the server while it is traced ("ok N" lines on stdout, N = round trips
// so far).
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

func main() {
	ep := flag.String("endpoint", "127.0.0.1:2379", "server")
	mode := flag.String("mode", "leak", "leak | steady")
	rate := flag.Int("rate", 100, "leases granted and watches opened per second")
	keep := flag.Int("keep", 50, "steady: leases and watches kept")
	flag.Parse()
	if *mode != "leak" && *mode != "steady" {
		log.Fatalf("etcdload: -mode %q: want leak or steady", *mode)
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{*ep}, DialTimeout: 5 * time.Second})
	if err != nil {
		log.Fatalf("etcdload: %v", err)
	}
	defer cli.Close()
	bg := context.Background()

	// one watch stream for all watches (same context), as most clients have
	wctx := clientv3.WithRequireLeader(bg)
	type watch struct{ cancel context.CancelFunc }
	var leases []clientv3.LeaseID
	var watches []watch
	leaseErrs := 0

	go func() {
		health := time.NewTicker(time.Second)
		n := 0
		for range health.C {
			ctx, cancel := context.WithTimeout(bg, 2*time.Second)
			v := fmt.Sprintf("v%d", n+1)
			_, err := cli.Put(ctx, "gm/health", v)
			if err == nil {
				var r *clientv3.GetResponse
				r, err = cli.Get(ctx, "gm/health")
				if err == nil && (len(r.Kvs) != 1 || string(r.Kvs[0].Value) != v) {
					err = fmt.Errorf("read back %v, want %s", r.Kvs, v)
				}
			}
			cancel()
			if err == nil {
				n++
				fmt.Printf("ok %d\n", n)
			} else {
				fmt.Printf("no round trip: %v\n", err)
			}
		}
	}()

	tick := time.NewTicker(time.Second / 20)
	per := *rate / 20
	if per < 1 {
		per = 1
	}
	n := 0
	for range tick.C {
		for i := 0; i < per; i++ {
			n++
			ctx, cancel := context.WithTimeout(bg, 5*time.Second)
			l, err := cli.Grant(ctx, 3600)
			cancel()
			if err != nil {
				if leaseErrs++; leaseErrs <= 5 {
					fmt.Printf("grant: %v\n", err)
				}
				continue
			}
			wc, wcancel := context.WithCancel(wctx)
			ch := cli.Watch(wc, fmt.Sprintf("gm/w/%d", n))
			go func() {
				for range ch { // drain until cancelled
				}
			}()
			if *mode == "steady" {
				leases = append(leases, l.ID)
				watches = append(watches, watch{wcancel})
				if len(leases) > *keep {
					ctx, cancel := context.WithTimeout(bg, 5*time.Second)
					if _, err := cli.Revoke(ctx, leases[0]); err != nil {
						fmt.Printf("revoke: %v\n", err)
					}
					cancel()
					leases = leases[1:]
					watches[0].cancel()
					watches = watches[1:]
				}
			} else {
				_ = wcancel // never cancelled
			}
		}
	}
}
