package conformance

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/argoproj/argo-rollouts/metric"
	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	steprpc "github.com/argoproj/argo-rollouts/rollout/steps/plugin/rpc"
	"github.com/argoproj/argo-rollouts/utils/plugin/types"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rollouts-cv/rollouts-cv/plugin/bridge/host"
)

// scenarioTimeout bounds one scenario: a window plus the time to start plugin processes and resume.
const scenarioTimeout = 90 * time.Second

func provider(t *testing.T, m v1alpha1.Metric) metric.Provider {
	t.Helper()
	p, err := host.MetricProviderFor(m)
	if err != nil {
		t.Fatalf("load metric plugin as the controller does: %v", err)
	}
	return p
}

func stepPlugin(t *testing.T, name string) steprpc.StepPlugin {
	t.Helper()
	p, err := host.StepPlugin(name)
	if err != nil {
		t.Fatalf("load step plugin as the controller does: %v", err)
	}
	return p
}

func logProgress(t *testing.T) host.MeasureOptions {
	return host.MeasureOptions{Progress: func(method string, m v1alpha1.Measurement) {
		t.Logf("%s → %s %q value=%s resumeAt=%v", method, m.Phase, m.Message, m.Value, m.ResumeAt)
	}}
}

func measure(t *testing.T, e *environment, name, canary string) v1alpha1.Measurement {
	t.Helper()
	m := metricFor(verifyPlugin, e.verifyConfig(canary))
	ctx, cancel := context.WithTimeout(t.Context(), scenarioTimeout)
	defer cancel()
	got, err := host.Measure(ctx, provider(t, m), analysisRunFor(name, canary, m), m, logProgress(t))
	if err != nil {
		t.Fatalf("measurement did not finish: %v (last: %s)", err, compactJSON(got))
	}
	return got
}

func TestMetricHealthyCanaryIsSuccessful(t *testing.T) {
	e := need(t)
	t.Parallel()
	got := measure(t, e, "healthy", healthyHash)
	if got.Phase != v1alpha1.AnalysisPhaseSuccessful {
		t.Fatalf("healthy canary: phase %s, want Successful: %s", got.Phase, compactJSON(got))
	}
	if got.StartedAt == nil || got.FinishedAt == nil || got.Value == "" {
		t.Errorf("measurement lacks startedAt/finishedAt/value: %s", compactJSON(got))
	}
}

func TestMetricRegressedCanaryIsFailed(t *testing.T) {
	e := need(t)
	t.Parallel()
	got := measure(t, e, "regressed", regressedHash)
	if got.Phase != v1alpha1.AnalysisPhaseFailed {
		t.Fatalf("canary with 5x error rate: phase %s, want Failed: %s", got.Phase, compactJSON(got))
	}
}

// TestMetricOtherMethods covers Terminate, GarbageCollect, GetMetadata and Type.
func TestMetricOtherMethods(t *testing.T) {
	e := need(t)
	t.Parallel()
	m := metricFor(verifyPlugin, e.verifyConfig(healthyHash))
	p := provider(t, m)
	run := analysisRunFor("terminated", healthyHash, m)
	o := logProgress(t)
	o.TerminateAfter = 2 * time.Second
	ctx, cancel := context.WithTimeout(t.Context(), scenarioTimeout)
	defer cancel()
	got, err := host.Measure(ctx, p, run, m, o)
	if err != nil {
		t.Fatal(err)
	}
	if got.FinishedAt == nil || !got.Phase.Completed() || got.Phase == v1alpha1.AnalysisPhaseError {
		t.Errorf("Terminate: %s, want a finished measurement that is not an Error", compactJSON(got))
	}
	if err := p.GarbageCollect(run, m, 10); err != nil {
		t.Errorf("GarbageCollect: %v", err)
	}
	if md := p.GetMetadata(m); md["error"] != "" {
		t.Errorf("GetMetadata: %v", md)
	}
	if typ := p.Type(); typ != "RPCPlugin" {
		t.Errorf("Type = %q", typ)
	}
}

func TestEngineUnreachableIsErrorNeverSuccessful(t *testing.T) {
	e := need(t)
	t.Parallel()
	m := metricFor(unreachableVerifyPlugin, e.verifyConfig(healthyHash))
	p := provider(t, m)
	run := analysisRunFor("unreachable", healthyHash, m)
	started := metav1.NewTime(time.Now().UTC().Truncate(time.Second))
	inFlight := v1alpha1.Measurement{Phase: v1alpha1.AnalysisPhaseRunning, StartedAt: &started, ResumeAt: &started, Metadata: map[string]string{"k": "v"}}

	for method, got := range map[string]v1alpha1.Measurement{
		"Run":       p.Run(run, m),
		"Resume":    p.Resume(run, m, inFlight),
		"Terminate": p.Terminate(run, m, inFlight),
	} {
		if got.Phase != v1alpha1.AnalysisPhaseError || !strings.Contains(got.Message, e.unreachable) || got.FinishedAt == nil {
			t.Errorf("%s with the engine unreachable: %s, want phase Error naming %s", method, compactJSON(got), e.unreachable)
		}
		if method != "Run" && (!got.StartedAt.Equal(&started) || got.Metadata["k"] != "v") {
			t.Errorf("%s lost the measurement's startedAt/metadata: %s", method, compactJSON(got))
		}
	}
	if err := p.GarbageCollect(run, m, 10); err == nil || !strings.Contains(err.Error(), e.unreachable) {
		t.Errorf("GarbageCollect: %v, want an error naming the engine", err)
	}
	if md := p.GetMetadata(m); len(md) != 0 {
		t.Errorf("GetMetadata: %v, want none", md)
	}

	s := stepPlugin(t, unreachableGatePlugin)
	ctx := host.StepContext(unreachableGatePlugin, rawJSON(map[string]any{"verify": e.verifyConfig(healthyHash)}), nil)
	for method, call := range map[string]func(*v1alpha1.Rollout, *types.RpcStepContext) (types.RpcStepResult, types.RpcError){
		"Run": s.Run, "Terminate": s.Terminate, "Abort": s.Abort,
	} {
		res, rpcErr := call(rolloutFor("unreachable", healthyHash), ctx)
		if !rpcErr.HasError() || !strings.Contains(rpcErr.ErrorString, e.unreachable) || res.Phase == types.PhaseSuccessful {
			t.Errorf("step %s with the engine unreachable: %+v, %v; want an RpcError naming %s", method, res, rpcErr, e.unreachable)
		}
	}
}

// TestEngineRefusesTheBridgeWithoutItsToken: the engine requires a token, as the chart runs it. Without the
// token, or with another, every call is an Error or RpcError saying the engine refused the bridge's credentials,
// never a success; the token itself appears nowhere.
func TestEngineRefusesTheBridgeWithoutItsToken(t *testing.T) {
	e := need(t)
	t.Parallel()
	for _, plugin := range []string{tokenlessVerifyPlugin, wrongTokenVerifyPlugin} {
		m := metricFor(plugin, e.verifyConfig(healthyHash))
		got := provider(t, m).Run(analysisRunFor("token", healthyHash, m), m)
		if got.Phase != v1alpha1.AnalysisPhaseError || got.FinishedAt == nil || !strings.Contains(got.Message, "refused the bridge's credentials") ||
			!strings.Contains(got.Message, "--engine-token-file") {
			t.Errorf("%s Run: %s, want phase Error naming the token", plugin, compactJSON(got))
		}
		if strings.Contains(got.Message, "0123456789abcdef") {
			t.Errorf("%s Run shows a token: %s", plugin, got.Message)
		}
	}
	s := stepPlugin(t, tokenlessGatePlugin)
	ctx := host.StepContext(tokenlessGatePlugin, rawJSON(map[string]any{"verify": e.verifyConfig(healthyHash)}), nil)
	if res, rpcErr := s.Run(rolloutFor("token", healthyHash), ctx); !strings.Contains(rpcErr.ErrorString, "refused the bridge's credentials") || res.Phase == types.PhaseSuccessful {
		t.Errorf("step Run without the token: %+v, %v; want an RpcError naming the token", res, rpcErr)
	}
}

func TestInvalidConfigNamesTheField(t *testing.T) {
	e := need(t)
	t.Parallel()
	cfg := e.verifyConfig(healthyHash, set("sensitivity", "extreme"))
	m := metricFor(verifyPlugin, cfg)
	got := provider(t, m).Run(analysisRunFor("invalid", healthyHash, m), m)
	if got.Phase != v1alpha1.AnalysisPhaseError || !strings.Contains(got.Message, "sensitivity") {
		t.Errorf("metric with sensitivity \"extreme\": %s, want phase Error naming sensitivity", compactJSON(got))
	}

	s := stepPlugin(t, gatePlugin)
	res, rpcErr := s.Run(rolloutFor("invalid", healthyHash), host.StepContext(gatePlugin, rawJSON(map[string]any{"verify": cfg}), nil))
	message := res.Message + rpcErr.ErrorString
	if res.Phase == types.PhaseSuccessful || res.Phase == types.PhaseRunning || !strings.Contains(message, "sensitivity") {
		t.Errorf("step with sensitivity \"extreme\": %+v, %v; want Failed or an RpcError naming sensitivity", res, rpcErr)
	}
}

// TestConcurrentCallsAreAnsweredCorrectly sends 50 Runs at once through one plugin process, mixing valid and
// invalid configs, and checks that each answer is the one its own request deserves.
func TestConcurrentCallsAreAnsweredCorrectly(t *testing.T) {
	e := need(t)
	t.Parallel()
	p := provider(t, metricFor(verifyPlugin, e.verifyConfig(healthyHash)))
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	for i := range 50 {
		wg.Go(func() {
			var cfg map[string]any
			var want string // "" = a valid verification that has started
			switch i % 3 {
			case 0:
				cfg = e.verifyConfig(healthyHash)
			case 1:
				cfg, want = e.verifyConfig(healthyHash, set("sensitivity", fmt.Sprintf("extreme-%d", i))), "sensitivity"
			case 2:
				cfg, want = e.verifyConfig(regressedHash, set("duration", fmt.Sprintf("soon-%d", i))), "duration"
			}
			m := metricFor(verifyPlugin, cfg)
			got := p.Run(analysisRunFor(fmt.Sprintf("concurrent-%d", i), healthyHash, m), m)
			ok := got.Phase == v1alpha1.AnalysisPhaseRunning && got.StartedAt != nil && got.FinishedAt == nil
			if want != "" {
				ok = got.Phase == v1alpha1.AnalysisPhaseError && strings.Contains(got.Message, want) && !strings.Contains(got.Message, "Unavailable")
			}
			if !ok {
				mu.Lock()
				failures = append(failures, fmt.Sprintf("call %d (want %q): %s", i, want, compactJSON(got)))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, f := range failures {
		t.Error(f)
	}
}

// runStep drives the step to its end; it may run in a goroutine, so it reports problems as errors.
func runStep(t *testing.T, name string, rollout *v1alpha1.Rollout, cfg map[string]any, status []byte) (host.StepOutcome, error) {
	p, err := host.StepPlugin(gatePlugin)
	if err != nil {
		return host.StepOutcome{}, fmt.Errorf("load step plugin as the controller does: %w", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), scenarioTimeout)
	defer cancel()
	out, err := host.RunStep(ctx, p, rollout, gatePlugin, rawJSON(map[string]any{"verify": cfg}), host.StepOptions{
		Status:   status,
		Progress: func(c host.StepCall) { t.Logf("%s %s: %s", name, c.Method, compactJSON(c)) },
	})
	if err != nil {
		return out, fmt.Errorf("step did not finish: %w (last: %s)", err, compactJSON(out))
	}
	return out, nil
}

// TestStepHealthyCanaryIsSuccessful leaves canary and baseline out of the config: they come from the
// Rollout's currentPodHash and stableRS.
func TestStepHealthyCanaryIsSuccessful(t *testing.T) {
	e := need(t)
	t.Parallel()
	rollout := rolloutFor("step-healthy", healthyHash)
	out, err := runStep(t, "healthy", rollout, e.verifyConfig(""), nil)
	if err != nil {
		t.Fatal(err)
	}
	if out.Phase != types.PhaseSuccessful {
		t.Fatalf("healthy canary step: %s, want Successful", compactJSON(out))
	}
	s := stepPlugin(t, gatePlugin)
	ctx := host.StepContext(gatePlugin, rawJSON(map[string]any{"verify": e.verifyConfig("")}), out.Status)
	for method, call := range map[string]func(*v1alpha1.Rollout, *types.RpcStepContext) (types.RpcStepResult, types.RpcError){
		"Terminate": s.Terminate, "Abort": s.Abort,
	} {
		if res, rpcErr := call(rollout, ctx); rpcErr.HasError() || res.Phase == types.PhaseRunning {
			t.Errorf("step %s: %+v, %v; want a completed phase and no RpcError", method, res, rpcErr)
		}
	}
	if typ := s.Type(); typ != gatePlugin {
		t.Errorf("Type = %q", typ)
	}
}

func TestStepRegressedCanaryIsFailed(t *testing.T) {
	e := need(t)
	t.Parallel()
	out, err := runStep(t, "regressed", rolloutFor("step-regressed", regressedHash), e.verifyConfig(regressedHash), nil)
	if err != nil {
		t.Fatal(err)
	}
	if out.Phase != types.PhaseFailed {
		t.Fatalf("canary with 5x error rate step: %s, want Failed", compactJSON(out))
	}
}

// TestEngineRestartBetweenRunAndResume restarts the engine right after Run; the verification must carry on
// from what the controller stored (the measurement, the step status) and reach the same verdict. It runs
// before the parallel scenarios, which would otherwise see the engine go away.
func TestEngineRestartBetweenRunAndResume(t *testing.T) {
	e := need(t)
	type started struct {
		name, canary string
		want         v1alpha1.AnalysisPhase
		metric       v1alpha1.Metric
		run          *v1alpha1.AnalysisRun
		p            metric.Provider
		meas         v1alpha1.Measurement
	}
	var runs []*started
	for _, c := range []struct {
		canary string
		want   v1alpha1.AnalysisPhase
	}{{healthyHash, v1alpha1.AnalysisPhaseSuccessful}, {regressedHash, v1alpha1.AnalysisPhaseFailed}} {
		s := &started{name: "restart-" + c.canary, canary: c.canary, want: c.want}
		s.metric = metricFor(verifyPlugin, e.verifyConfig(c.canary))
		s.run = analysisRunFor(s.name, c.canary, s.metric)
		s.p = provider(t, s.metric)
		s.meas = s.p.Run(s.run, s.metric)
		if s.meas.Phase != v1alpha1.AnalysisPhaseRunning {
			t.Fatalf("%s: Run = %s, want Running", s.name, compactJSON(s.meas))
		}
		runs = append(runs, s)
	}
	gateCfg := e.verifyConfig("")
	gateRollout := rolloutFor("restart-step", healthyHash)
	first, rpcErr := stepPlugin(t, gatePlugin).Run(gateRollout, host.StepContext(gatePlugin, rawJSON(map[string]any{"verify": gateCfg}), nil))
	if rpcErr.HasError() || first.Phase != types.PhaseRunning {
		t.Fatalf("step Run = %+v, %v; want Running", first, rpcErr)
	}

	if err := e.restartEngine(); err != nil {
		t.Fatalf("restart engine: %v", err)
	}
	t.Log("engine restarted")

	var wg sync.WaitGroup
	for _, s := range runs {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(t.Context(), scenarioTimeout)
			defer cancel()
			got, err := host.Continue(ctx, s.p, s.run, s.metric, s.meas, logProgress(t))
			if err != nil || got.Phase != s.want {
				t.Errorf("%s after the restart: %s (%v), want %s", s.name, compactJSON(got), err, s.want)
			}
		})
	}
	wg.Go(func() {
		if out, err := runStep(t, "restart", gateRollout, gateCfg, first.Status); err != nil || out.Phase != types.PhaseSuccessful {
			t.Errorf("step after the restart: %s (%v), want Successful", compactJSON(out), err)
		}
	})
	wg.Wait()
}

// TestMutualTLSWithTheEngine talks to an engine that requires client certificates: with the right CA and a
// client certificate the engine answers; trusting another CA it is an Error, never a success.
func TestMutualTLSWithTheEngine(t *testing.T) {
	e := need(t)
	t.Parallel()
	m := metricFor(tlsVerifyPlugin, e.verifyConfig(healthyHash))
	p := provider(t, m)
	run := analysisRunFor("tls", healthyHash, m)
	got := p.Run(run, m)
	// The bridge's transport errors name the engine address; the engine's own answers do not.
	if strings.Contains(got.Message, e.tlsAddr) {
		t.Fatalf("Run over mutual TLS did not reach the engine: %s", compactJSON(got))
	}
	if got.Phase == v1alpha1.AnalysisPhaseRunning {
		if got = p.Terminate(run, m, got); got.FinishedAt == nil || got.Phase == v1alpha1.AnalysisPhaseError {
			t.Errorf("Terminate over mutual TLS: %s", compactJSON(got))
		}
	} else {
		// The plugin is registered under its own name here, which the engine may not accept as a config key.
		t.Logf("engine answered over mutual TLS: %s", compactJSON(got))
	}

	m = metricFor(untrustedVerifyPlugin, e.verifyConfig(healthyHash))
	got = provider(t, m).Run(analysisRunFor("untrusted", healthyHash, m), m)
	if got.Phase != v1alpha1.AnalysisPhaseError || !strings.Contains(got.Message, e.tlsAddr) {
		t.Errorf("Run trusting the wrong CA: %s, want phase Error naming %s", compactJSON(got), e.tlsAddr)
	}
}
