package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	steprpc "github.com/argoproj/argo-rollouts/rollout/steps/plugin/rpc"
	"github.com/argoproj/argo-rollouts/utils/plugin/types"
	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"

	"github.com/rollouts-cv/rollouts-cv/plugin/bridge/internal/rpcpb"
)

// stepPlugin serves the step role: one engine call per method.
type stepPlugin struct {
	name   string
	engine *engine
	log    hclog.Logger
}

var _ steprpc.StepPlugin = (*stepPlugin)(nil)

func stepClient(cc grpc.ClientConnInterface) initPluginClient { return rpcpb.NewStepPluginClient(cc) }

// InitPlugin behaves as metricPlugin.InitPlugin, for the same reasons: the step client in the controller
// also reports an InitPlugin error once and then keeps using the process.
func (p *stepPlugin) InitPlugin() types.RpcError {
	if p.engine.argsErr != nil {
		return types.RpcError{ErrorString: fmt.Sprintf("rollouts-cv-bridge: invalid args: %s", p.engine.argsErr)}
	}
	p.engine.initPlugin(p.name, stepClient)
	return types.RpcError{}
}

func (p *stepPlugin) Run(rollout *v1alpha1.Rollout, c *types.RpcStepContext) (types.RpcStepResult, types.RpcError) {
	return p.call("Run", rollout, c)
}

func (p *stepPlugin) Terminate(rollout *v1alpha1.Rollout, c *types.RpcStepContext) (types.RpcStepResult, types.RpcError) {
	return p.call("Terminate", rollout, c)
}

func (p *stepPlugin) Abort(rollout *v1alpha1.Rollout, c *types.RpcStepContext) (types.RpcStepResult, types.RpcError) {
	return p.call("Abort", rollout, c)
}

// Type reports the registered plugin name, as Argo's sample step plugins report theirs.
func (p *stepPlugin) Type() string { return p.name }

func (p *stepPlugin) call(method string, rollout *v1alpha1.Rollout, c *types.RpcStepContext) (types.RpcStepResult, types.RpcError) {
	if c == nil {
		c = &types.RpcStepContext{}
	}
	rolloutJSON, err := json.Marshal(rollout)
	if err != nil {
		return types.RpcStepResult{}, rpcError(fmt.Errorf("rollouts-cv-bridge: cannot encode the Rollout: %w", err))
	}
	req := &rpcpb.StepRequest{RolloutJson: rolloutJSON, PluginName: c.PluginName, ConfigJson: c.Config, StatusJson: c.Status}
	var resp *rpcpb.StepResult
	err = p.engine.invoke(method, func(ctx context.Context, cc grpc.ClientConnInterface) (err error) {
		client := rpcpb.NewStepPluginClient(cc)
		switch method {
		case "Terminate":
			resp, err = client.Terminate(ctx, req)
		case "Abort":
			resp, err = client.Abort(ctx, req)
		default:
			resp, err = client.Run(ctx, req)
		}
		return err
	})
	if err != nil {
		return types.RpcStepResult{}, rpcError(err)
	}
	return stepResultFromProto(resp)
}

// stepResultFromProto maps the engine's answer back. Anything the controller could misread becomes an
// RpcError, which it retries: an explicit error, phase Error (which without an RpcError can leave the step
// stuck), an unknown phase, or a status that is not JSON (the controller would fail to store it).
func stepResultFromProto(pb *rpcpb.StepResult) (types.RpcStepResult, types.RpcError) {
	if pb.GetErrorString() != "" {
		return types.RpcStepResult{}, types.RpcError{ErrorString: pb.GetErrorString()}
	}
	phase := types.StepPhase(pb.GetPhase())
	switch phase {
	case types.PhaseRunning, types.PhaseSuccessful, types.PhaseFailed:
	default:
		return types.RpcStepResult{}, rpcError(fmt.Errorf("rollouts-cv engine returned invalid step phase %q (message: %q)", pb.GetPhase(), pb.GetMessage()))
	}
	status := pb.GetStatusJson()
	if len(status) > 0 && !json.Valid(status) {
		return types.RpcStepResult{}, rpcError(fmt.Errorf("rollouts-cv engine returned a step status that is not JSON"))
	}
	result := types.RpcStepResult{
		Phase:        phase,
		Message:      pb.GetMessage(),
		RequeueAfter: time.Duration(max(pb.GetRequeueAfterMs(), 0)) * time.Millisecond,
	}
	if len(status) > 0 {
		result.Status = json.RawMessage(status)
	}
	return result, types.RpcError{}
}

func rpcError(err error) types.RpcError { return types.RpcError{ErrorString: err.Error()} }
