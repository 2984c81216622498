// natsload: a load client for the real nats-server test of gomaptrace
// (tests/e2e/test_real.sh), using the server's own client module.
//
//	-mode grow    subscribes to -rate new unique subjects per second and
//	              never unsubscribes: the server's per-client subscription
//	              map and its sublist level map grow without end.
//	-mode rotate  the same rate, but keeps only the newest -keep
//	              subscriptions (each older one is unsubscribed).
//
// Every second it also publishes a request on a subject it serves itself
// and waits for the reply: a health check of the server while it is traced
// ("ok N" lines on stdout, N = replies so far).
package main

import (
	"flag"
	"fmt"
	"log"
	"time"

	"github.com/nats-io/nats.go"
)

func main() {
	url := flag.String("url", nats.DefaultURL, "server")
	mode := flag.String("mode", "grow", "grow | rotate")
	rate := flag.Int("rate", 400, "new subscriptions per second")
	keep := flag.Int("keep", 200, "rotate: subscriptions kept")
	flag.Parse()
	if *mode != "grow" && *mode != "rotate" {
		log.Fatalf("natsload: -mode %q: want grow or rotate", *mode)
	}
	nc, err := nats.Connect(*url, nats.MaxReconnects(-1))
	if err != nil {
		log.Fatalf("natsload: %v", err)
	}
	if _, err := nc.Subscribe("gm.health", func(m *nats.Msg) { _ = m.Respond([]byte("ok")) }); err != nil {
		log.Fatalf("natsload: %v", err)
	}
	var subs []*nats.Subscription
	tick := time.NewTicker(time.Second / 20)
	health := time.NewTicker(time.Second)
	n, replies := 0, 0
	for {
		select {
		case <-tick.C:
			for i := 0; i < *rate/20; i++ {
				s, err := nc.SubscribeSync(fmt.Sprintf("gm.load.s%d", n))
				if err != nil {
					log.Fatalf("natsload: subscribe: %v", err)
				}
				n++
				if *mode == "rotate" {
					subs = append(subs, s)
					if len(subs) > *keep {
						_ = subs[0].Unsubscribe()
						subs = subs[1:]
					}
				}
			}
		case <-health.C:
			if _, err := nc.Request("gm.health", []byte("?"), 2*time.Second); err == nil {
				replies++
				fmt.Printf("ok %d\n", replies)
			} else {
				fmt.Printf("no reply: %v\n", err)
			}
		}
	}
}
