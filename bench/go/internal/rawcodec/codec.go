// Package rawcodec is a gRPC codec that passes pre-encoded message bytes through untouched, so the
// benchmark's Go programs can call or serve any method without generated stubs. Other messages (the
// standard health service's) are marshalled as protobuf, so it can replace the default "proto" codec.
package rawcodec

import (
	"fmt"

	"google.golang.org/protobuf/proto"
)

// Codec implements grpc's encoding.CodecV1 under the name "proto".
type Codec struct{}

// Marshal returns v's bytes for *[]byte or []byte, and the protobuf encoding of a proto.Message.
func (Codec) Marshal(v any) ([]byte, error) {
	switch m := v.(type) {
	case *[]byte:
		return *m, nil
	case []byte:
		return m, nil
	case proto.Message:
		return proto.Marshal(m)
	}
	return nil, fmt.Errorf("rawcodec: cannot marshal %T", v)
}

// Unmarshal copies data into a *[]byte, or decodes it into a proto.Message.
func (Codec) Unmarshal(data []byte, v any) error {
	switch m := v.(type) {
	case *[]byte:
		*m = append((*m)[:0], data...)
		return nil
	case proto.Message:
		return proto.Unmarshal(data, m)
	}
	return fmt.Errorf("rawcodec: cannot unmarshal into %T", v)
}

// Name is "proto": the codec the gRPC wire format names in its content type.
func (Codec) Name() string { return "proto" }
