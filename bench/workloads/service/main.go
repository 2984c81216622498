// Command gmb-service is benchmark (a): a small HTTP service on loopback,
// shaped like real ones.  GET /item?id=N answers from a bounded map-backed
// cache, rendering and storing the item on a miss.  Every request also makes
// short-lived maps that escape to the heap: the query (url.Values), request
// attributes carried in the request context, and, on a miss, the document
// rendered to JSON.  net/http makes its own per-request header maps.
//
// It listens on 127.0.0.1 on a free port and writes "host:port pid" to -addrfile;
// SIGTERM stops it with exit status 0 after printing a summary line.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"gomaptrace.bench/meter"
)

type ctxKey struct{}

type entry struct {
	body    []byte
	created time.Time
	hits    int
}

// cache is bounded: above max entries, arbitrary entries are evicted.
type cache struct {
	mu        sync.Mutex
	m         map[string]*entry
	max       int
	evictions uint64
}

func (c *cache) get(k string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok {
		return nil, false
	}
	e.hits++
	return e.body, true
}

func (c *cache) put(k string, body []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.m) >= c.max {
		for old := range c.m {
			delete(c.m, old)
			c.evictions++
			break
		}
	}
	c.m[k] = &entry{body: body, created: time.Now()}
}

var (
	items    = &cache{m: make(map[string]*entry)}
	requests uint64
	misses   uint64
)

// attrs are per-request key/values, carried in the context like a real
// service's request-scoped fields (logging, tracing).
func withAttrs(r *http.Request, id string) context.Context {
	attrs := map[string]string{
		"id":     id,
		"path":   r.URL.Path,
		"method": r.Method,
		"remote": r.RemoteAddr,
		"agent":  r.UserAgent(),
	}
	return context.WithValue(r.Context(), ctxKey{}, attrs)
}

//go:noinline
func render(ctx context.Context, id string) []byte {
	attrs := ctx.Value(ctxKey{}).(map[string]string)
	n, _ := strconv.Atoi(id)
	doc := map[string]interface{}{
		"id":    id,
		"name":  "item-" + id,
		"price": float64(n%1000) / 10,
		"tags":  []string{"a", "b", strconv.Itoa(n % 7)},
		"stock": map[string]int{"eu": n % 13, "us": n % 17, "ap": n % 19},
		"trace": attrs["id"] + "/" + attrs["method"],
	}
	b, _ := json.Marshal(doc)
	return b
}

func handleItem(w http.ResponseWriter, r *http.Request) {
	atomic.AddUint64(&requests, 1)
	q := r.URL.Query()
	id := q.Get("id")
	if id == "" {
		http.Error(w, "missing id", http.StatusBadRequest)
		return
	}
	ctx := withAttrs(r, id)
	body, ok := items.get(id)
	if !ok {
		atomic.AddUint64(&misses, 1)
		body = render(ctx, id)
		items.put(id, body)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "max-age=60")
	w.Write(body)
}

func main() {
	addrFile := flag.String("addrfile", "", "write \"host:port pid\" here once listening")
	max := flag.Int("cache", 10000, "cache capacity (entries)")
	flag.Parse()
	items.max = *max

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "gmb-service:", err)
		os.Exit(1)
	}
	if *addrFile != "" {
		tmp := *addrFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(fmt.Sprintf("%s %d\n", ln.Addr(), os.Getpid())), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gmb-service:", err)
			os.Exit(1)
		}
		os.Rename(tmp, *addrFile)
	}
	// requests per second over the server's life, for the governor's timeline
	var seriesMu sync.Mutex
	var series []uint64
	go func() {
		last := uint64(0)
		for range time.Tick(time.Second) {
			n := atomic.LoadUint64(&requests)
			seriesMu.Lock()
			series = append(series, n-last)
			seriesMu.Unlock()
			last = n
		}
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sig
		items.mu.Lock()
		size, ev := len(items.m), items.evictions
		items.mu.Unlock()
		fmt.Printf("RESULT workload=service requests=%d misses=%d cache_entries=%d evictions=%d cpu_s=%.3f\n",
			atomic.LoadUint64(&requests), atomic.LoadUint64(&misses), size, ev, meter.CPUSeconds())
		seriesMu.Lock()
		meter.PrintSeries(series)
		seriesMu.Unlock()
		os.Exit(0)
	}()
	mux := http.NewServeMux()
	mux.HandleFunc("/item", handleItem)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	srv.Serve(ln)
}
