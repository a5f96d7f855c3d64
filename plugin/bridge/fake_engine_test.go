package main

import (
	"context"
	"crypto/tls"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/rollouts-cv/rollouts-cv/plugin/bridge/internal/rpcpb"
)

// fakeEngine implements both engine services with functions a test sets; unset methods answer with a
// zero message. It records the last request of each kind.
type fakeEngine struct {
	rpcpb.UnimplementedMetricProviderServer

	mu        sync.Mutex
	inits     []*rpcpb.InitPluginRequest
	lastRun   *rpcpb.MetricRunRequest
	lastMeas  *rpcpb.MetricMeasurementRequest
	lastStep  *rpcpb.StepRequest
	lastGC    *rpcpb.GarbageCollectRequest
	run       func(*rpcpb.MetricRunRequest) (*rpcpb.Measurement, error)
	resume    func(*rpcpb.MetricMeasurementRequest) (*rpcpb.Measurement, error)
	step      func(*rpcpb.StepRequest) (*rpcpb.StepResult, error)
	delay     time.Duration
	metadata  map[string]string
	gcError   string
	initError string
}

func (f *fakeEngine) wait(ctx context.Context) error {
	if f.delay == 0 {
		return nil
	}
	select {
	case <-time.After(f.delay):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (f *fakeEngine) InitPlugin(_ context.Context, req *rpcpb.InitPluginRequest) (*rpcpb.PluginError, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inits = append(f.inits, req)
	return &rpcpb.PluginError{ErrorString: f.initError}, nil
}

func (f *fakeEngine) Run(ctx context.Context, req *rpcpb.MetricRunRequest) (*rpcpb.Measurement, error) {
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.lastRun = req
	f.mu.Unlock()
	if f.run != nil {
		return f.run(req)
	}
	return &rpcpb.Measurement{Phase: "Running"}, nil
}

func (f *fakeEngine) Resume(ctx context.Context, req *rpcpb.MetricMeasurementRequest) (*rpcpb.Measurement, error) {
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.lastMeas = req
	f.mu.Unlock()
	if f.resume != nil {
		return f.resume(req)
	}
	return &rpcpb.Measurement{Phase: "Successful"}, nil
}

func (f *fakeEngine) Terminate(ctx context.Context, req *rpcpb.MetricMeasurementRequest) (*rpcpb.Measurement, error) {
	return f.Resume(ctx, req)
}

func (f *fakeEngine) GarbageCollect(_ context.Context, req *rpcpb.GarbageCollectRequest) (*rpcpb.PluginError, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastGC = req
	return &rpcpb.PluginError{ErrorString: f.gcError}, nil
}

func (f *fakeEngine) GetMetadata(context.Context, *rpcpb.GetMetadataRequest) (*rpcpb.GetMetadataResponse, error) {
	return &rpcpb.GetMetadataResponse{Metadata: f.metadata}, nil
}

func (f *fakeEngine) stepCall(ctx context.Context, req *rpcpb.StepRequest) (*rpcpb.StepResult, error) {
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.lastStep = req
	f.mu.Unlock()
	if f.step != nil {
		return f.step(req)
	}
	return &rpcpb.StepResult{Phase: "Successful"}, nil
}

// The step service's methods, named apart from the metric service's by these wrappers.
type fakeStepServer struct {
	rpcpb.UnimplementedStepPluginServer
	f *fakeEngine
}

func (s fakeStepServer) InitPlugin(ctx context.Context, req *rpcpb.InitPluginRequest) (*rpcpb.PluginError, error) {
	return s.f.InitPlugin(ctx, req)
}
func (s fakeStepServer) Run(ctx context.Context, req *rpcpb.StepRequest) (*rpcpb.StepResult, error) {
	return s.f.stepCall(ctx, req)
}
func (s fakeStepServer) Terminate(ctx context.Context, req *rpcpb.StepRequest) (*rpcpb.StepResult, error) {
	return s.f.stepCall(ctx, req)
}
func (s fakeStepServer) Abort(ctx context.Context, req *rpcpb.StepRequest) (*rpcpb.StepResult, error) {
	return s.f.stepCall(ctx, req)
}

// startFake serves f on 127.0.0.1:0 (with TLS when cfg is set) until the test ends, and returns its address.
func startFake(t *testing.T, f *fakeEngine, cfg *tls.Config, opts ...grpc.ServerOption) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if cfg != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(cfg)))
	}
	srv := grpc.NewServer(opts...)
	rpcpb.RegisterMetricProviderServer(srv, f)
	rpcpb.RegisterStepPluginServer(srv, fakeStepServer{f: f})
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

// closedAddress returns a loopback address nothing listens on.
func closedAddress(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close()
	return addr
}

// newTestPlugins builds both plugins as main does, for argv.
func newTestPlugins(t *testing.T, argv ...string) (*metricPlugin, *stepPlugin) {
	t.Helper()
	opts, err := parseArgs(argv)
	log := hclog.NewNullLogger()
	eng := newEngine(opts, err, log)
	t.Cleanup(func() {
		if eng.conn != nil {
			eng.conn.Close()
		}
	})
	return &metricPlugin{name: defaultMetricName, engine: eng, log: log}, &stepPlugin{name: defaultStepName, engine: eng, log: log}
}

// requireToken answers every call without `authorization: Bearer <token>` with UNAUTHENTICATED, as the engine
// started with --auth-token-file does.
func requireToken(token string) grpc.ServerOption {
	return grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		md, _ := metadata.FromIncomingContext(ctx)
		if got := md.Get("authorization"); len(got) != 1 || got[0] != "Bearer "+token {
			return nil, status.Error(codes.Unauthenticated, "wrong bearer token")
		}
		return handler(ctx, req)
	})
}
