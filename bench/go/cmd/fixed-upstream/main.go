// Command fixed-upstream is the trivial native upstream of the "gateway alone" benchmark: it answers
// every gRPC call (any method, h2c) and every HTTP/1.1 request with fixed, pre-encoded bytes, so a
// gateway in front of it is the only thing being measured.
//
//	fixed-upstream -grpc-port 0 -http-port 0 -grpc-response /pkg.Svc/Method=resp.bin -http-response /v1/x=resp.json
//
// It prints one line "grpc=PORT http=PORT" once both listeners are up.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"

	"agentos.dev/bench/internal/rawcodec"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// pairs is a repeatable KEY=FILE flag whose files are read at parse time.
type pairs map[string][]byte

func (p pairs) String() string { return fmt.Sprint(len(p)) }
func (p pairs) Set(v string) error {
	key, file, ok := strings.Cut(v, "=")
	if !ok {
		return fmt.Errorf("want KEY=FILE, got %q", v)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	p[key] = b
	return nil
}

func main() {
	grpcPort := flag.Int("grpc-port", 0, "port of the gRPC (h2c) listener, 0 = any free port")
	httpPort := flag.Int("http-port", 0, "port of the HTTP/1.1 listener, 0 = any free port")
	grpcResponses, httpResponses := pairs{}, pairs{}
	flag.Var(grpcResponses, "grpc-response", "METHOD=FILE: answer gRPC METHOD (/pkg.Service/Method) with FILE's bytes")
	flag.Var(httpResponses, "http-response", "PATH=FILE: answer HTTP requests to PATH with FILE's bytes as JSON")
	flag.Parse()

	gl, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *grpcPort))
	must(err)
	hl, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *httpPort))
	must(err)

	srv := grpc.NewServer(
		grpc.ForceServerCodec(rawcodec.Codec{}),
		grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
			method, _ := grpc.MethodFromServerStream(stream)
			resp, ok := grpcResponses[method]
			if !ok {
				return status.Errorf(codes.Unimplemented, "fixed-upstream has no response for %s", method)
			}
			var req []byte
			if err := stream.RecvMsg(&req); err != nil {
				return err
			}
			return stream.SendMsg(&resp)
		}),
	)
	hs := health.NewServer()
	for method := range grpcResponses {
		if svc, _, ok := strings.Cut(strings.TrimPrefix(method, "/"), "/"); ok {
			hs.SetServingStatus(svc, healthpb.HealthCheckResponse_SERVING)
		}
	}
	healthpb.RegisterHealthServer(srv, hs)
	go func() { must(srv.Serve(gl)) }()

	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(`{"status":"SERVING"}`)) })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		resp, ok := httpResponses[r.URL.Path]
		if !ok {
			http.Error(w, `{"code":"not_found"}`, http.StatusNotFound)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("content-type", "application/json")
		w.Header().Set("content-length", fmt.Sprint(len(resp)))
		w.Write(resp)
	})
	go func() { must((&http.Server{Handler: mux}).Serve(hl)) }()

	fmt.Printf("grpc=%d http=%d\n", gl.Addr().(*net.TCPAddr).Port, hl.Addr().(*net.TCPAddr).Port)
	select {}
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "fixed-upstream:", err)
		os.Exit(1)
	}
}
