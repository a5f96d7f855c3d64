package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	metricrpc "github.com/argoproj/argo-rollouts/metricproviders/plugin/rpc"
	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	goplugin "github.com/hashicorp/go-plugin"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rollouts-cv/rollouts-cv/plugin/bridge/internal/rpcpb"
)

func testRun() (*v1alpha1.AnalysisRun, v1alpha1.Metric) {
	metric := v1alpha1.Metric{
		Name:     "verify",
		Provider: v1alpha1.MetricProvider{Plugin: map[string]json.RawMessage{"rollouts-cv/verify": json.RawMessage(`{"duration":"20s"}`)}},
	}
	run := &v1alpha1.AnalysisRun{
		ObjectMeta: metav1.ObjectMeta{Name: "app-c0ffee1-2", Namespace: "shop", Labels: map[string]string{"rollouts-pod-template-hash": "c0ffee1"}},
		Spec:       v1alpha1.AnalysisRunSpec{Metrics: []v1alpha1.Metric{metric}},
	}
	return run, metric
}

func mustTime(t *testing.T, s string) *metav1.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	mt := metav1.NewTime(tm)
	return &mt
}

func TestMetricRunAndResumeMapBothWays(t *testing.T) {
	f := &fakeEngine{
		run: func(*rpcpb.MetricRunRequest) (*rpcpb.Measurement, error) {
			return &rpcpb.Measurement{Phase: "Running", StartedAt: "2026-01-02T03:04:05Z", ResumeAt: "2026-01-02T03:04:10.5+01:00",
				Metadata: map[string]string{"verificationId": "v1"}}, nil
		},
		resume: func(req *rpcpb.MetricMeasurementRequest) (*rpcpb.Measurement, error) {
			return &rpcpb.Measurement{Phase: "Failed", Message: "error-rate 5x baseline", StartedAt: req.Measurement.StartedAt,
				FinishedAt: "2026-01-02T03:04:25Z", Value: `{"verdict":"Unhealthy"}`, Metadata: req.Measurement.Metadata}, nil
		},
	}
	m, _ := newTestPlugins(t, "--engine-address", startFake(t, f, nil))
	run, metric := testRun()

	got := m.Run(run, metric)
	if got.Phase != v1alpha1.AnalysisPhaseRunning || got.FinishedAt != nil {
		t.Fatalf("Run = %+v", got)
	}
	if !got.StartedAt.Equal(mustTime(t, "2026-01-02T03:04:05Z")) || !got.ResumeAt.Equal(mustTime(t, "2026-01-02T02:04:10.5Z")) {
		t.Errorf("times: startedAt %v resumeAt %v", got.StartedAt, got.ResumeAt)
	}
	var sentRun v1alpha1.AnalysisRun
	var sentMetric v1alpha1.Metric
	if err := json.Unmarshal(f.lastRun.AnalysisRunJson, &sentRun); err != nil || sentRun.Name != run.Name || sentRun.Labels["rollouts-pod-template-hash"] != "c0ffee1" {
		t.Errorf("engine got AnalysisRun %s (%v)", f.lastRun.AnalysisRunJson, err)
	}
	if err := json.Unmarshal(f.lastRun.MetricJson, &sentMetric); err != nil || string(sentMetric.Provider.Plugin["rollouts-cv/verify"]) != `{"duration":"20s"}` {
		t.Errorf("engine got Metric %s (%v)", f.lastRun.MetricJson, err)
	}

	final := m.Resume(run, metric, got)
	sent := f.lastMeas.Measurement
	if sent.Phase != "Running" || sent.StartedAt != "2026-01-02T03:04:05Z" || sent.ResumeAt != "2026-01-02T02:04:10Z" || sent.FinishedAt != "" || sent.Metadata["verificationId"] != "v1" {
		t.Errorf("engine got measurement %+v", sent)
	}
	if final.Phase != v1alpha1.AnalysisPhaseFailed || final.Message != "error-rate 5x baseline" || final.Value != `{"verdict":"Unhealthy"}` ||
		!final.FinishedAt.Equal(mustTime(t, "2026-01-02T03:04:25Z")) || final.Metadata["verificationId"] != "v1" || final.ResumeAt != nil {
		t.Errorf("Resume = %+v", final)
	}
}

func TestMetricTerminalPhaseWithoutTimesIsCompleted(t *testing.T) {
	f := &fakeEngine{run: func(*rpcpb.MetricRunRequest) (*rpcpb.Measurement, error) {
		return &rpcpb.Measurement{Phase: "Successful"}, nil
	}}
	m, _ := newTestPlugins(t, "--engine-address", startFake(t, f, nil))
	got := m.Run(testRun())
	if got.Phase != v1alpha1.AnalysisPhaseSuccessful || got.StartedAt == nil || got.FinishedAt == nil {
		t.Fatalf("Run = %+v: a completed measurement needs startedAt and finishedAt", got)
	}
}

func TestMetricInvalidAnswersBecomeError(t *testing.T) {
	for name, pb := range map[string]*rpcpb.Measurement{
		"unknown phase": {Phase: "Done"},
		"empty phase":   {},
		"bad time":      {Phase: "Running", ResumeAt: "in five seconds"},
	} {
		t.Run(name, func(t *testing.T) {
			f := &fakeEngine{run: func(*rpcpb.MetricRunRequest) (*rpcpb.Measurement, error) { return pb, nil }}
			m, _ := newTestPlugins(t, "--engine-address", startFake(t, f, nil))
			got := m.Run(testRun())
			if got.Phase != v1alpha1.AnalysisPhaseError || got.FinishedAt == nil || !strings.Contains(got.Message, "engine returned") {
				t.Fatalf("Run = %+v", got)
			}
		})
	}
}

func TestMetricSlowEngineIsErrorNotSuccess(t *testing.T) {
	f := &fakeEngine{delay: 2 * time.Second}
	addr := startFake(t, f, nil)
	m, _ := newTestPlugins(t, "--engine-address", addr, "--call-timeout", "200ms")
	run, metric := testRun()
	started := metav1.NewTime(time.Now().Add(-time.Minute).Truncate(time.Second))
	inFlight := v1alpha1.Measurement{Phase: v1alpha1.AnalysisPhaseRunning, StartedAt: &started, Metadata: map[string]string{"verificationId": "v1"}}

	begin := time.Now()
	for method, got := range map[string]v1alpha1.Measurement{
		"Run":       m.Run(run, metric),
		"Resume":    m.Resume(run, metric, inFlight),
		"Terminate": m.Terminate(run, metric, inFlight),
	} {
		if got.Phase != v1alpha1.AnalysisPhaseError || got.FinishedAt == nil {
			t.Errorf("%s = %+v, want phase Error", method, got)
		}
		if !strings.Contains(got.Message, addr) || !strings.Contains(got.Message, "DeadlineExceeded") {
			t.Errorf("%s message %q should name the engine and the deadline", method, got.Message)
		}
		if method != "Run" && (!got.StartedAt.Equal(&started) || got.Metadata["verificationId"] != "v1") {
			t.Errorf("%s lost the measurement's startedAt/metadata: %+v", method, got)
		}
	}
	if elapsed := time.Since(begin); elapsed > 1500*time.Millisecond {
		t.Errorf("three calls took %s; the call timeout was not applied", elapsed)
	}
}

func TestEngineUnreachable(t *testing.T) {
	addr := closedAddress(t)
	m, s := newTestPlugins(t, "--engine-address", addr, "--dial-timeout", "300ms")
	run, metric := testRun()
	started := metav1.NewTime(time.Now().Truncate(time.Second))
	inFlight := v1alpha1.Measurement{Phase: v1alpha1.AnalysisPhaseRunning, StartedAt: &started, Value: "partial", Metadata: map[string]string{"k": "v"}}

	if err := m.InitPlugin(); err.HasError() {
		t.Errorf("InitPlugin must not fail while the engine is down: %v", err)
	}
	for method, got := range map[string]v1alpha1.Measurement{
		"Run":       m.Run(run, metric),
		"Resume":    m.Resume(run, metric, inFlight),
		"Terminate": m.Terminate(run, metric, inFlight),
	} {
		if got.Phase != v1alpha1.AnalysisPhaseError || got.FinishedAt == nil || !strings.Contains(got.Message, addr) || !strings.Contains(got.Message, "Unavailable") {
			t.Errorf("%s = %+v", method, got)
		}
		if method != "Run" && (!got.StartedAt.Equal(&started) || got.Value != "partial" || got.Metadata["k"] != "v") {
			t.Errorf("%s lost the measurement's fields: %+v", method, got)
		}
	}
	if err := m.GarbageCollect(run, metric, 10); !err.HasError() || !strings.Contains(err.ErrorString, addr) {
		t.Errorf("GarbageCollect = %v", err)
	}
	if md := m.GetMetadata(metric); md != nil {
		t.Errorf("GetMetadata = %v, want nil", md)
	}
	if _, err := s.Run(&v1alpha1.Rollout{}, nil); !err.HasError() || !strings.Contains(err.ErrorString, addr) {
		t.Errorf("step Run = %v, want RpcError naming %s", err, addr)
	}
}

func TestMetricGarbageCollectMetadataAndInit(t *testing.T) {
	f := &fakeEngine{metadata: map[string]string{"query": "q"}, gcError: "cannot collect"}
	m, _ := newTestPlugins(t, "--engine-address", startFake(t, f, nil))
	run, metric := testRun()
	if err := m.GarbageCollect(run, metric, 7); err.ErrorString != "cannot collect" || f.lastGC.Limit != 7 {
		t.Errorf("GarbageCollect = %v, limit sent %d", err, f.lastGC.GetLimit())
	}
	f.gcError = ""
	if err := m.GarbageCollect(run, metric, 7); err.HasError() {
		t.Errorf("GarbageCollect = %v", err)
	}
	if md := m.GetMetadata(metric); md["query"] != "q" {
		t.Errorf("GetMetadata = %v", md)
	}
	if m.Type() != metricProviderType {
		t.Errorf("Type = %q", m.Type())
	}
	if err := m.InitPlugin(); err.HasError() {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		f.mu.Lock()
		n := len(f.inits)
		f.mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("InitPlugin never reached the engine")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if req := f.inits[0]; req.PluginName != defaultMetricName || req.BridgeVersion != version {
		t.Errorf("engine InitPlugin got %+v", req)
	}
}

func TestMetricConcurrentCallsGetTheirOwnResults(t *testing.T) {
	f := &fakeEngine{
		delay: 20 * time.Millisecond,
		run: func(req *rpcpb.MetricRunRequest) (*rpcpb.Measurement, error) {
			var metric v1alpha1.Metric
			if err := json.Unmarshal(req.MetricJson, &metric); err != nil {
				return nil, err
			}
			return &rpcpb.Measurement{Phase: "Successful", Value: metric.Name}, nil
		},
	}
	m, _ := newTestPlugins(t, "--engine-address", startFake(t, f, nil))
	run, _ := testRun()
	var wg sync.WaitGroup
	errs := make(chan string, 50)
	for i := range 50 {
		wg.Go(func() {
			name := fmt.Sprintf("metric-%d", i)
			got := m.Run(run, v1alpha1.Metric{Name: name})
			if got.Phase != v1alpha1.AnalysisPhaseSuccessful || got.Value != name {
				errs <- fmt.Sprintf("%s: got %s %q %q", name, got.Phase, got.Value, got.Message)
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestMetricOverArgoRPC sends calls through Argo's own net/rpc client and server types (gob encoding), to
// check that everything the bridge returns survives the trip to the controller.
func TestMetricOverArgoRPC(t *testing.T) {
	f := &fakeEngine{
		run: func(*rpcpb.MetricRunRequest) (*rpcpb.Measurement, error) {
			return &rpcpb.Measurement{Phase: "Inconclusive", Message: "m", Value: "v", StartedAt: "2026-01-02T03:04:05Z",
				FinishedAt: "2026-01-02T03:05:05Z", Metadata: map[string]string{"a": "b"}}, nil
		},
	}
	m, _ := newTestPlugins(t, "--engine-address", startFake(t, f, nil))
	client, _ := goplugin.TestPluginRPCConn(t, map[string]goplugin.Plugin{"RpcMetricProviderPlugin": &metricrpc.RpcMetricProviderPlugin{Impl: m}}, nil)
	t.Cleanup(func() { client.Close() })
	raw, err := client.Dispense("RpcMetricProviderPlugin")
	if err != nil {
		t.Fatal(err)
	}
	p := raw.(metricrpc.MetricProviderPlugin)
	if err := p.InitPlugin(); err.HasError() {
		t.Fatal(err)
	}
	got := p.Run(testRun())
	if got.Phase != v1alpha1.AnalysisPhaseInconclusive || got.Value != "v" || got.Metadata["a"] != "b" ||
		!got.FinishedAt.Equal(mustTime(t, "2026-01-02T03:05:05Z")) {
		t.Errorf("Run over net/rpc = %+v", got)
	}
	if p.Type() != metricProviderType {
		t.Errorf("Type over net/rpc = %q", p.Type())
	}
}
