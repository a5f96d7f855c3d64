package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	steprpc "github.com/argoproj/argo-rollouts/rollout/steps/plugin/rpc"
	"github.com/argoproj/argo-rollouts/utils/plugin/types"
	goplugin "github.com/hashicorp/go-plugin"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rollouts-cv/rollouts-cv/plugin/bridge/internal/rpcpb"
)

func testRollout() *v1alpha1.Rollout {
	return &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: "prod"},
		Status:     v1alpha1.RolloutStatus{CurrentPodHash: "c0ffee1", StableRS: "5tab1e1"},
	}
}

func TestStepMapsBothWays(t *testing.T) {
	f := &fakeEngine{step: func(req *rpcpb.StepRequest) (*rpcpb.StepResult, error) {
		return &rpcpb.StepResult{Phase: "Running", Message: "verifying", RequeueAfterMs: 5500, StatusJson: []byte(`{"startedAt":"x"}`)}, nil
	}}
	_, s := newTestPlugins(t, "--engine-address", startFake(t, f, nil))
	ctx := &types.RpcStepContext{PluginName: "rollouts-cv/gate", Config: json.RawMessage(`{"verify":{}}`), Status: json.RawMessage(`{"n":1}`)}

	for method, call := range map[string]func(*v1alpha1.Rollout, *types.RpcStepContext) (types.RpcStepResult, types.RpcError){
		"Run": s.Run, "Terminate": s.Terminate, "Abort": s.Abort,
	} {
		res, err := call(testRollout(), ctx)
		if err.HasError() {
			t.Fatalf("%s: %v", method, err)
		}
		if res.Phase != types.PhaseRunning || res.Message != "verifying" || res.RequeueAfter != 5500*time.Millisecond || string(res.Status) != `{"startedAt":"x"}` {
			t.Errorf("%s = %+v", method, res)
		}
		req := f.lastStep
		var ro v1alpha1.Rollout
		if err := json.Unmarshal(req.RolloutJson, &ro); err != nil || ro.Status.CurrentPodHash != "c0ffee1" || ro.Status.StableRS != "5tab1e1" {
			t.Errorf("%s: engine got rollout %s (%v)", method, req.RolloutJson, err)
		}
		if req.PluginName != "rollouts-cv/gate" || string(req.ConfigJson) != `{"verify":{}}` || string(req.StatusJson) != `{"n":1}` {
			t.Errorf("%s: engine got %+v", method, req)
		}
	}
}

func TestStepProblemsBecomeRpcError(t *testing.T) {
	for name, pb := range map[string]*rpcpb.StepResult{
		"error string":    {Phase: "Running", ErrorString: "prometheus unreachable"},
		"phase Error":     {Phase: "Error", Message: "boom"},
		"unknown phase":   {Phase: "Done"},
		"empty phase":     {},
		"status not JSON": {Phase: "Successful", StatusJson: []byte("{")},
	} {
		t.Run(name, func(t *testing.T) {
			f := &fakeEngine{step: func(*rpcpb.StepRequest) (*rpcpb.StepResult, error) { return pb, nil }}
			_, s := newTestPlugins(t, "--engine-address", startFake(t, f, nil))
			res, err := s.Run(testRollout(), &types.RpcStepContext{})
			if !err.HasError() || res.Phase != "" {
				t.Fatalf("Run = %+v, %v; want an RpcError and no result", res, err)
			}
			if pb.ErrorString != "" && err.ErrorString != pb.ErrorString {
				t.Errorf("RpcError %q, want the engine's %q", err.ErrorString, pb.ErrorString)
			}
		})
	}
}

func TestStepSlowEngineIsRpcError(t *testing.T) {
	f := &fakeEngine{delay: 2 * time.Second}
	addr := startFake(t, f, nil)
	_, s := newTestPlugins(t, "--engine-address", addr, "--call-timeout", "200ms")
	res, err := s.Run(testRollout(), &types.RpcStepContext{})
	if !err.HasError() || res.Phase == types.PhaseSuccessful || !strings.Contains(err.ErrorString, addr) {
		t.Fatalf("Run = %+v, %v", res, err)
	}
}

func TestStepOverArgoRPC(t *testing.T) {
	f := &fakeEngine{step: func(*rpcpb.StepRequest) (*rpcpb.StepResult, error) {
		return &rpcpb.StepResult{Phase: "Failed", Message: "error-rate regressed", StatusJson: []byte(`{"verdict":"Unhealthy"}`)}, nil
	}}
	_, s := newTestPlugins(t, "--engine-address", startFake(t, f, nil))
	client, _ := goplugin.TestPluginRPCConn(t, map[string]goplugin.Plugin{"RpcStepPlugin": &steprpc.RpcStepPlugin{Impl: s}}, nil)
	t.Cleanup(func() { client.Close() })
	raw, err := client.Dispense("RpcStepPlugin")
	if err != nil {
		t.Fatal(err)
	}
	p := raw.(steprpc.StepPlugin)
	res, rpcErr := p.Run(testRollout(), &types.RpcStepContext{PluginName: "rollouts-cv/gate", Config: json.RawMessage(`{}`)})
	if rpcErr.HasError() || res.Phase != types.PhaseFailed || string(res.Status) != `{"verdict":"Unhealthy"}` {
		t.Errorf("Run over net/rpc = %+v, %v", res, rpcErr)
	}
	if p.Type() != defaultStepName {
		t.Errorf("Type over net/rpc = %q", p.Type())
	}
}
