package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"agentos.dev/bench/internal/rawcodec"
	"agentos.dev/bench/internal/wire"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// chunk is one message of a token stream as the client saw it.
type chunk struct {
	tokens     int
	final      bool
	completion uint32
	bytes      int
}

// opener starts one stream on connection number conn and calls onChunk for every message.
type opener func(ctx context.Context, conn int, onChunk func(chunk)) error

const generateMethod = "/agentos.model.v1.ModelService/Generate"
const finishLength = 2

// grpcOpener calls ModelService.Generate over gRPC, spreading streams over n HTTP/2 connections.
func grpcOpener(target string, n int, prompt string, maxTokens uint32) (opener, func(), error) {
	conns := make([]*grpc.ClientConn, n)
	for i := range conns {
		cc, err := grpc.NewClient(target,
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.ForceCodec(rawcodec.Codec{})),
			grpc.WithInitialWindowSize(1<<20), grpc.WithInitialConnWindowSize(1<<24),
		)
		if err != nil {
			return nil, nil, err
		}
		conns[i] = cc
	}
	req := wire.GenerateRequest(prompt, maxTokens)
	open := func(ctx context.Context, conn int, onChunk func(chunk)) error {
		cs, err := conns[conn%n].NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, generateMethod)
		if err != nil {
			return err
		}
		if err := cs.SendMsg(&req); err != nil {
			return err
		}
		if err := cs.CloseSend(); err != nil {
			return err
		}
		var buf []byte
		for {
			if err := cs.RecvMsg(&buf); err != nil {
				if errors.Is(err, io.EOF) {
					return nil
				}
				return err
			}
			c, err := wire.ParseGenerateResponse(buf)
			if err != nil {
				return err
			}
			onChunk(chunk{tokens: int(c.TokenCount), final: c.FinishReason != 0, completion: c.CompletionTokens, bytes: len(buf) + 5})
		}
	}
	closeAll := func() {
		for _, cc := range conns {
			cc.Close()
		}
	}
	return open, closeAll, nil
}

// postStream POSTs body with the given header name/value pairs and returns a buffered reader over a
// 200 response's body (and the function that closes it); any other status is an error with the body.
func postStream(ctx context.Context, client *http.Client, url string, body []byte, headers ...string) (*bufio.Reader, func(), error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return nil, nil, fmt.Errorf("HTTP %d: %s", resp.StatusCode, b)
	}
	return bufio.NewReaderSize(resp.Body, 64<<10), func() { resp.Body.Close() }, nil
}

// httpClients makes n independent clients (each its own connection pool) for HTTP/1.1 or h2c.
func httpClients(n int, proto string, perClientConns int) []*http.Client {
	clients := make([]*http.Client, n)
	for i := range clients {
		t := &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
			MaxIdleConns:        0,
			MaxIdleConnsPerHost: perClientConns,
			DisableCompression:  true,
			ReadBufferSize:      64 << 10,
		}
		if proto == "h2c" {
			var p http.Protocols
			p.SetUnencryptedHTTP2(true)
			t.Protocols = &p
		}
		clients[i] = &http.Client{Transport: t}
	}
	return clients
}

// connectOpener calls ModelService.Generate with the Connect streaming protocol (binary or JSON).
func connectOpener(base string, clients []*http.Client, codec, prompt string, maxTokens uint32) opener {
	var msg []byte
	if codec == "json" {
		msg, _ = json.Marshal(map[string]any{"prompt": prompt, "sampling": map[string]any{"maxTokens": maxTokens}})
	} else {
		msg = wire.GenerateRequest(prompt, maxTokens)
	}
	body := make([]byte, 5+len(msg))
	binary.BigEndian.PutUint32(body[1:5], uint32(len(msg)))
	copy(body[5:], msg)
	url := base + generateMethod
	return func(ctx context.Context, conn int, onChunk func(chunk)) error {
		r, closeBody, err := postStream(ctx, clients[conn%len(clients)], url, body,
			"content-type", "application/connect+"+codec, "connect-protocol-version", "1")
		if err != nil {
			return err
		}
		defer closeBody()
		head := make([]byte, 5)
		for {
			if _, err := io.ReadFull(r, head); err != nil {
				return fmt.Errorf("stream ended without an end-stream message: %w", err)
			}
			payload := make([]byte, binary.BigEndian.Uint32(head[1:5]))
			if _, err := io.ReadFull(r, payload); err != nil {
				return err
			}
			if head[0]&0x02 != 0 {
				var end struct {
					Error *struct{ Code, Message string } `json:"error"`
				}
				if err := json.Unmarshal(payload, &end); err != nil {
					return fmt.Errorf("bad end-stream message: %w", err)
				}
				if end.Error != nil {
					return fmt.Errorf("%s: %s", end.Error.Code, end.Error.Message)
				}
				return nil
			}
			c, err := decodeChunk(codec, payload)
			if err != nil {
				return err
			}
			c.bytes = len(payload) + 5
			onChunk(c)
		}
	}
}

// jsonChunk is a GenerateResponse in proto3 JSON (Connect) or the baseline's SSE event JSON.
type jsonChunk struct {
	TokenCount      uint32 `json:"tokenCount"`
	TokenCountSnake uint32 `json:"token_count"`
	FinishReason    string `json:"finishReason"`
	FinishSnake     string `json:"finish_reason"`
	Usage           *struct {
		Completion      uint32 `json:"completionTokens"`
		CompletionSnake uint32 `json:"completion_tokens"`
	} `json:"usage"`
}

func decodeChunk(codec string, payload []byte) (chunk, error) {
	if codec != "json" {
		c, err := wire.ParseGenerateResponse(payload)
		return chunk{tokens: int(c.TokenCount), final: c.FinishReason != 0, completion: c.CompletionTokens}, err
	}
	var j jsonChunk
	if err := json.Unmarshal(payload, &j); err != nil {
		return chunk{}, err
	}
	c := chunk{tokens: int(j.TokenCount + j.TokenCountSnake)}
	reason := j.FinishReason + j.FinishSnake
	c.final = reason != "" && reason != "FINISH_REASON_UNSPECIFIED"
	if j.Usage != nil {
		c.completion = j.Usage.Completion + j.Usage.CompletionSnake
	}
	return c, nil
}

// sseOpener calls the baseline's POST /v1/generate and reads its Server-Sent Events.
func sseOpener(base string, clients []*http.Client, prompt string, maxTokens uint32) opener {
	body, _ := json.Marshal(map[string]any{"prompt": prompt, "max_tokens": maxTokens})
	url := base + "/v1/generate"
	return func(ctx context.Context, conn int, onChunk func(chunk)) error {
		r, closeBody, err := postStream(ctx, clients[conn%len(clients)], url, body,
			"content-type", "application/json", "accept", "text/event-stream")
		if err != nil {
			return err
		}
		defer closeBody()
		size := 0
		for {
			line, err := r.ReadSlice('\n')
			size += len(line)
			if err != nil {
				if errors.Is(err, io.EOF) {
					return nil
				}
				return err
			}
			if !bytes.HasPrefix(line, []byte("data:")) {
				continue
			}
			data := strings.TrimSpace(string(line[5:]))
			c, err := decodeChunk("json", []byte(data))
			if err != nil {
				return fmt.Errorf("bad SSE event %q: %w", data, err)
			}
			c.bytes = size + 1 // the blank line that ends the event
			size = -1
			onChunk(c)
		}
	}
}
