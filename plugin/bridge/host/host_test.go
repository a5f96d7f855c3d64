package host

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/argoproj/argo-rollouts/utils/plugin/types"
	"google.golang.org/grpc"

	"github.com/rollouts-cv/rollouts-cv/plugin/bridge/internal/rpcpb"
)

// These tests load a freshly built bridge through Argo's plugin clients against a small in-process engine,
// so the loading path (ConfigMap → downloader → go-plugin handshake → net/rpc → gRPC) is checked without
// the real engine. The conformance suite does the same against the real one.

type engine struct {
	rpcpb.UnimplementedMetricProviderServer
}

func (engine) InitPlugin(context.Context, *rpcpb.InitPluginRequest) (*rpcpb.PluginError, error) {
	return &rpcpb.PluginError{}, nil
}

func (engine) Run(context.Context, *rpcpb.MetricRunRequest) (*rpcpb.Measurement, error) {
	now := time.Now().UTC()
	return &rpcpb.Measurement{Phase: "Running", StartedAt: now.Format(time.RFC3339), ResumeAt: now.Add(300 * time.Millisecond).Format(time.RFC3339Nano)}, nil
}

func (engine) Resume(_ context.Context, req *rpcpb.MetricMeasurementRequest) (*rpcpb.Measurement, error) {
	m := req.Measurement
	m.Phase, m.FinishedAt, m.ResumeAt, m.Value = "Successful", time.Now().UTC().Format(time.RFC3339), "", `{"verdict":"Healthy"}`
	return m, nil
}

func (e engine) Terminate(ctx context.Context, req *rpcpb.MetricMeasurementRequest) (*rpcpb.Measurement, error) {
	m, _ := e.Resume(ctx, req)
	m.Message = "terminated"
	return m, nil
}

type stepEngine struct {
	rpcpb.UnimplementedStepPluginServer
}

func (stepEngine) Run(_ context.Context, req *rpcpb.StepRequest) (*rpcpb.StepResult, error) {
	var st struct{ Calls int }
	if len(req.StatusJson) > 0 {
		_ = json.Unmarshal(req.StatusJson, &st)
	}
	st.Calls++
	b, _ := json.Marshal(st)
	if st.Calls < 3 {
		return &rpcpb.StepResult{Phase: "Running", RequeueAfterMs: 100, StatusJson: b}, nil
	}
	return &rpcpb.StepResult{Phase: "Successful", Message: fmt.Sprintf("after %d calls", st.Calls), StatusJson: b}, nil
}

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	srv := grpc.NewServer()
	rpcpb.RegisterMetricProviderServer(srv, engine{})
	rpcpb.RegisterStepPluginServer(srv, stepEngine{})
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()

	tmp, err := os.MkdirTemp("", "host-test-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(tmp)
	bridge, err := BridgeBinary("..", tmp, false)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	args := []string{"--engine-address", lis.Addr().String(), "--call-timeout", "5s"}
	if err := Setup(tmp,
		Plugin{Kind: MetricProvider, Name: "rollouts-cv/verify", Binary: bridge, Args: args},
		Plugin{Kind: Step, Name: "rollouts-cv/gate", Binary: bridge, Args: args},
	); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer Stop()
	return m.Run()
}

func TestMeasureThroughArgoClient(t *testing.T) {
	metric := MetricFor("rollouts-cv/verify", nil)
	p, err := MetricProviderFor(metric)
	if err != nil {
		t.Fatal(err)
	}
	run := &v1alpha1.AnalysisRun{}
	var methods []string
	m, err := Measure(t.Context(), p, run, metric, MeasureOptions{Progress: func(method string, _ v1alpha1.Measurement) { methods = append(methods, method) }})
	if err != nil {
		t.Fatal(err)
	}
	if m.Phase != v1alpha1.AnalysisPhaseSuccessful || m.FinishedAt == nil || m.Value != `{"verdict":"Healthy"}` {
		t.Errorf("measurement = %+v", m)
	}
	if strings.Join(methods, ",") != "Run,Resume" || len(run.Status.MetricResults) != 1 {
		t.Errorf("calls %v, run status %+v", methods, run.Status)
	}
	m, err = Measure(t.Context(), p, run, metric, MeasureOptions{TerminateAfter: 100 * time.Millisecond})
	if err != nil || m.Message != "terminated" || m.FinishedAt == nil {
		t.Errorf("terminate: %+v, %v", m, err)
	}
	if p.Type() != "RPCPlugin" {
		t.Errorf("Type = %q", p.Type())
	}
}

func TestRunStepThroughArgoClient(t *testing.T) {
	p, err := StepPlugin("rollouts-cv/gate")
	if err != nil {
		t.Fatal(err)
	}
	out, err := RunStep(t.Context(), p, &v1alpha1.Rollout{}, "rollouts-cv/gate", json.RawMessage(`{}`), StepOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Phase != types.PhaseSuccessful || out.Calls != 3 || string(out.Status) != `{"Calls":3}` {
		t.Errorf("outcome = %+v", out)
	}
	if p.Type() != "rollouts-cv/gate" {
		t.Errorf("Type = %q", p.Type())
	}
}
