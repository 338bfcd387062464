// Package wire reads the few fields of agentos.model.v1.GenerateResponse that the token client checks,
// straight from the protobuf wire format (no generated Go code is needed for one message).
package wire

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// Chunk is what the token client needs from one GenerateResponse.
type Chunk struct {
	Text             string
	TokenCount       uint32
	FinishReason     int32
	CompletionTokens uint32
}

// ParseGenerateResponse decodes text (1), token_count (3), finish_reason (4) and usage (5).
func ParseGenerateResponse(b []byte) (Chunk, error) {
	var c Chunk
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return c, fmt.Errorf("bad tag: %w", protowire.ParseError(n))
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.BytesType:
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return c, protowire.ParseError(m)
			}
			c.Text, b = string(v), b[m:]
			continue
		case num == 3 && typ == protowire.VarintType:
			v, m := protowire.ConsumeVarint(b)
			if m < 0 {
				return c, protowire.ParseError(m)
			}
			c.TokenCount, b = uint32(v), b[m:]
			continue
		case num == 4 && typ == protowire.VarintType:
			v, m := protowire.ConsumeVarint(b)
			if m < 0 {
				return c, protowire.ParseError(m)
			}
			c.FinishReason, b = int32(v), b[m:]
			continue
		case num == 5 && typ == protowire.BytesType:
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return c, protowire.ParseError(m)
			}
			c.CompletionTokens = usageCompletion(v)
			b = b[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return c, protowire.ParseError(m)
		}
		b = b[m:]
	}
	return c, nil
}

func usageCompletion(b []byte) uint32 {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return 0
		}
		b = b[n:]
		if num == 2 && typ == protowire.VarintType {
			v, _ := protowire.ConsumeVarint(b)
			return uint32(v)
		}
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return 0
		}
		b = b[m:]
	}
	return 0
}

// GenerateRequest encodes {prompt, sampling{max_tokens}} as an agentos.model.v1.GenerateRequest.
func GenerateRequest(prompt string, maxTokens uint32) []byte {
	var sampling []byte
	sampling = protowire.AppendTag(sampling, 1, protowire.VarintType)
	sampling = protowire.AppendVarint(sampling, uint64(maxTokens))
	var b []byte
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	b = protowire.AppendString(b, prompt)
	b = protowire.AppendTag(b, 4, protowire.BytesType)
	b = protowire.AppendBytes(b, sampling)
	return b
}
