// promtarget: a scrape target for the real-Prometheus test of gomaptrace
// (tests/e2e/test_real.sh).  It serves /metrics in the Prometheus text
// format, written by hand so that it needs no module.
//
//	-mode grow   every scrape exposes -per new series (label id="N" with N
//	             never seen before) and drops the previous ones: the
//	             series set of the scraping Prometheus grows without end,
//	             and so does its head index (MemPostings).
//	-mode fixed  every scrape exposes the same -per series.
//
// /healthz answers "ok" for the test's health check.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"strings"
	"sync"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to serve on")
	mode := flag.String("mode", "grow", "grow | fixed")
	per := flag.Int("per", 100, "series per scrape")
	flag.Parse()
	if *mode != "grow" && *mode != "fixed" {
		log.Fatalf("promtarget: -mode %q: want grow or fixed", *mode)
	}
	var mu sync.Mutex
	scrapes := 0
	http.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n := scrapes
		scrapes++
		mu.Unlock()
		first := 0
		if *mode == "grow" {
			first = n * *per
		}
		var b strings.Builder
		b.WriteString("# TYPE promtarget_series gauge\n")
		for i := first; i < first+*per; i++ {
			fmt.Fprintf(&b, "promtarget_series{id=\"s%d\"} %d\n", i, n)
		}
		fmt.Fprintf(&b, "# TYPE promtarget_scrapes_total counter\npromtarget_scrapes_total %d\n", n+1)
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		_, _ = w.Write([]byte(b.String()))
	})
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	log.Fatal(http.ListenAndServe(*listen, nil))
}
