package main

import (
	"math"
	"sort"
	"time"
)

// dist is a latency distribution in milliseconds.
type dist struct {
	N    int     `json:"n"`
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
}

func distOf(v []float64) dist {
	if len(v) == 0 {
		return dist{}
	}
	sort.Float64s(v)
	sum := 0.0
	for _, x := range v {
		sum += x
	}
	// Nearest rank: the smallest value with at least p of the values at or below it.
	q := func(p float64) float64 { return v[max(0, int(math.Ceil(p*float64(len(v))))-1)] }
	return dist{N: len(v), Mean: sum / float64(len(v)), P50: q(0.5), P90: q(0.9), P99: q(0.99), P999: q(0.999), Max: v[len(v)-1]}
}

type summary struct {
	Protocol        string         `json:"protocol"`
	Target          string         `json:"target"`
	HTTP            string         `json:"http"`
	MaxTokens       int            `json:"max_tokens"`
	Concurrency     int            `json:"concurrency"`
	Connections     int            `json:"connections"`
	NominalRate     float64        `json:"nominal_rate"`
	StreamsOK       int            `json:"streams_ok"`
	StreamsFailed   int            `json:"streams_failed"`
	Errors          []string       `json:"errors"`
	WallSeconds     float64        `json:"wall_seconds"`
	Tokens          int            `json:"tokens"`
	Messages        int            `json:"messages"`
	TokensPerMsg    float64        `json:"tokens_per_message"`
	TokensPerSecond float64        `json:"tokens_per_second"`
	BytesPerStream  float64        `json:"bytes_per_stream"`
	TTFT            dist           `json:"ttft_ms"`
	Gap             dist           `json:"gap_ms"`
	MessageGap      dist           `json:"message_gap_ms"`
	Lateness        dist           `json:"lateness_ms"`
	StreamDuration  dist           `json:"stream_ms"`
	StreamTPS       dist           `json:"stream_tokens_per_second"`
	Timelines       [][][2]float64 `json:"timelines"`
	GapSample       []float64      `json:"gap_sample"`
	TTFTSample      []float64      `json:"ttft_sample"`
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// summarize turns the streams into the figures the benchmark reports. Gaps are per token: a message
// carrying k tokens contributes its gap once and k-1 zero gaps. Lateness is how far token i arrives
// after first-token time + i/rate (only with a nominal rate).
func summarize(records []*record, o options, wall time.Duration) summary {
	s := summary{Protocol: o.protocol, Target: o.target, HTTP: o.httpVersion, MaxTokens: o.maxTokens,
		Concurrency: o.concurrency, Connections: o.connections, NominalRate: o.rate, WallSeconds: wall.Seconds(),
		Errors: []string{}}
	var ttft, gaps, msgGaps, late, durs, tps []float64
	bytes := 0
	for _, r := range records {
		if r.err != nil {
			s.StreamsFailed++
			if len(s.Errors) < 5 {
				s.Errors = append(s.Errors, r.err.Error())
			}
			continue
		}
		s.StreamsOK++
		s.Tokens += r.tokens
		s.Messages += len(r.arrivals)
		bytes += r.bytes
		durs = append(durs, ms(r.total))
		first := r.arrivals[0].at
		ttft = append(ttft, ms(first))
		idx := r.arrivals[0].tokens
		for i := 1; i < len(r.arrivals); i++ {
			g := ms(r.arrivals[i].at - r.arrivals[i-1].at)
			msgGaps = append(msgGaps, g)
			gaps = append(gaps, g)
			for k := 1; k < r.arrivals[i].tokens; k++ {
				gaps = append(gaps, 0)
			}
			if o.rate > 0 {
				for k := 0; k < r.arrivals[i].tokens; k++ {
					due := float64(idx+k) / o.rate * 1000
					late = append(late, ms(r.arrivals[i].at-first)-due)
				}
			}
			idx += r.arrivals[i].tokens
		}
		if span := r.arrivals[len(r.arrivals)-1].at - first; span > 0 {
			tps = append(tps, float64(r.tokens-1)/span.Seconds())
		}
		if len(s.Timelines) < o.timelines {
			tl := make([][2]float64, 0, len(r.arrivals))
			cum := 0
			for _, a := range r.arrivals {
				cum += a.tokens
				tl = append(tl, [2]float64{ms(a.at), float64(cum)})
			}
			s.Timelines = append(s.Timelines, tl)
		}
	}
	if s.Messages > 0 {
		s.TokensPerMsg = float64(s.Tokens) / float64(s.Messages)
	}
	if s.StreamsOK > 0 {
		s.BytesPerStream = float64(bytes) / float64(s.StreamsOK)
	}
	s.TokensPerSecond = float64(s.Tokens) / wall.Seconds()
	s.GapSample = sample(gaps, 4000)
	s.TTFTSample = sample(ttft, 2000)
	s.TTFT, s.Gap, s.MessageGap, s.Lateness = distOf(ttft), distOf(gaps), distOf(msgGaps), distOf(late)
	s.StreamDuration, s.StreamTPS = distOf(durs), distOf(tps)
	return s
}

// sample keeps at most n values, evenly spaced over v (taken before sorting, so in arrival order).
func sample(v []float64, n int) []float64 {
	if len(v) <= n {
		return append([]float64{}, v...)
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = v[i*len(v)/n]
	}
	return out
}
