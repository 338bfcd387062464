// Command token-client drives concurrent token streams (ModelService.Generate over gRPC or Connect, or
// the baseline's SSE endpoint) and times every token as it arrives. No established load tool reports
// time to first token and inter-token gaps of server-streamed messages, hence this client.
//
//	token-client -protocol grpc -target 127.0.0.1:8080 -streams 1000 -concurrency 1000 -max-tokens 256 -out r.json
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sync"
	"time"
)

type options struct {
	protocol    string
	target      string
	httpVersion string
	streams     int
	concurrency int
	connections int
	maxTokens   int
	prompt      string
	rate        float64
	ramp        time.Duration
	duration    time.Duration
	timeout     time.Duration
	timelines   int
	out         string
}

func main() {
	var o options
	flag.StringVar(&o.protocol, "protocol", "grpc", "grpc | connect-proto | connect-json | sse")
	flag.StringVar(&o.target, "target", "127.0.0.1:8080", "host:port of the gateway or worker")
	flag.StringVar(&o.httpVersion, "http", "h1", "HTTP version for connect-* and sse: h1 | h2c")
	flag.IntVar(&o.streams, "streams", 100, "streams to run in total (with -duration: at least this many)")
	flag.IntVar(&o.concurrency, "concurrency", 10, "streams open at once")
	flag.IntVar(&o.connections, "connections", 1, "HTTP/2 connections to spread streams over (h1: one per open stream)")
	flag.IntVar(&o.maxTokens, "max-tokens", 256, "tokens per stream")
	flag.StringVar(&o.prompt, "prompt", "Tell me a story about a lighthouse.", "prompt of every stream")
	flag.Float64Var(&o.rate, "rate", 0, "the worker's synthetic tokens/s (for the lateness figure; 0 = unpaced)")
	flag.DurationVar(&o.ramp, "ramp", 0, "spread the start of the first -concurrency streams over this time")
	flag.DurationVar(&o.duration, "duration", 0, "keep starting streams until this much time has passed")
	flag.DurationVar(&o.timeout, "timeout", 120*time.Second, "deadline of one stream")
	flag.IntVar(&o.timelines, "timelines", 4, "streams whose token timelines go into the output")
	flag.StringVar(&o.out, "out", "", "write the JSON summary here (default stdout)")
	flag.Parse()

	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "token-client:", err)
		os.Exit(1)
	}
}

func makeOpener(o options) (opener, func(), error) {
	nClients := o.connections
	perClient := 1
	if o.httpVersion == "h1" {
		nClients, perClient = 1, o.concurrency
	}
	switch o.protocol {
	case "grpc":
		return grpcOpener(o.target, o.connections, o.prompt, uint32(o.maxTokens))
	case "connect-proto", "connect-json":
		codec := o.protocol[len("connect-"):]
		return connectOpener("http://"+o.target, httpClients(nClients, o.httpVersion, perClient), codec, o.prompt, uint32(o.maxTokens)), func() {}, nil
	case "sse":
		return sseOpener("http://"+o.target, httpClients(nClients, o.httpVersion, perClient), o.prompt, uint32(o.maxTokens)), func() {}, nil
	}
	return nil, nil, fmt.Errorf("unknown protocol %q", o.protocol)
}

func run(o options) error {
	open, closeAll, err := makeOpener(o)
	if err != nil {
		return err
	}
	defer closeAll()

	var (
		mu      sync.Mutex
		records []*record
		next    int
	)
	begin := time.Now()
	deadline := begin.Add(o.duration)
	claim := func() bool {
		mu.Lock()
		defer mu.Unlock()
		if next >= o.streams && (o.duration == 0 || time.Now().After(deadline)) {
			return false
		}
		next++
		return true
	}
	var wg sync.WaitGroup
	for w := 0; w < o.concurrency; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			if o.ramp > 0 {
				time.Sleep(time.Duration(int64(o.ramp) * int64(w) / int64(o.concurrency)))
			}
			for claim() {
				r := runOne(open, w, o)
				mu.Lock()
				records = append(records, r)
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	wall := time.Since(begin)

	s := summarize(records, o, wall)
	b, _ := json.MarshalIndent(s, "", " ")
	if o.out == "" {
		_, err = os.Stdout.Write(append(b, '\n'))
		return err
	}
	return os.WriteFile(o.out, b, 0o644)
}

// record is one stream as the client saw it; times are offsets from the stream's start.
type record struct {
	begin      time.Time
	arrivals   []arrival
	total      time.Duration
	tokens     int
	completion uint32
	final      bool
	bytes      int
	err        error
}

type arrival struct {
	at     time.Duration
	tokens int
}

func runOne(open opener, conn int, o options) *record {
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	r := &record{begin: time.Now(), arrivals: make([]arrival, 0, o.maxTokens+1)}
	r.err = open(ctx, conn, func(c chunk) {
		at := time.Since(r.begin)
		if c.tokens > 0 {
			r.arrivals = append(r.arrivals, arrival{at, c.tokens})
			r.tokens += c.tokens
		}
		r.bytes += c.bytes
		if c.final {
			r.final = true
			r.completion = c.completion
		}
	})
	r.total = time.Since(r.begin)
	if r.err == nil {
		switch {
		case !r.final:
			r.err = fmt.Errorf("stream ended without a finish reason")
		case r.tokens != o.maxTokens:
			r.err = fmt.Errorf("got %d tokens, want %d", r.tokens, o.maxTokens)
		case int(r.completion) != o.maxTokens:
			r.err = fmt.Errorf("usage says %d completion tokens, want %d", r.completion, o.maxTokens)
		}
	}
	return r
}
