package host

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	steprpc "github.com/argoproj/argo-rollouts/rollout/steps/plugin/rpc"
	"github.com/argoproj/argo-rollouts/utils/plugin/types"
)

// StepOptions tune RunStep.
type StepOptions struct {
	// MaxRpcErrors bounds how many RpcErrors RunStep retries before giving up (default 5). The controller
	// retries forever, every 30 s.
	MaxRpcErrors int
	// ErrorDelay is the wait after an RpcError (default 1s; the controller waits 30 s).
	ErrorDelay time.Duration
	// DefaultRequeue is the wait after a Running result without requeueAfter (default 1s). Unlike the
	// controller, RunStep honours requeueAfter exactly, without its 10 s floor, so that tests stay short.
	DefaultRequeue time.Duration
	// Status is the status stored from an earlier call of this step, if any (e.g. to carry on after an
	// engine restart).
	Status json.RawMessage
	// Progress, if set, receives each call's result.
	Progress func(StepCall)
}

// StepCall is one call of the step plugin.
type StepCall struct {
	Method       string          `json:"method"`
	Phase        types.StepPhase `json:"phase,omitempty"`
	Message      string          `json:"message,omitempty"`
	RequeueAfter string          `json:"requeueAfter,omitempty"`
	Status       json.RawMessage `json:"status,omitempty"`
	RpcError     string          `json:"rpcError,omitempty"`
}

// StepOutcome is where RunStep ended.
type StepOutcome struct {
	Phase     types.StepPhase `json:"phase"`
	Message   string          `json:"message"`
	Status    json.RawMessage `json:"status,omitempty"`
	Calls     int             `json:"calls"`
	RpcErrors []string        `json:"rpcErrors,omitempty"`
}

// StepContext is what the controller hands the plugin for step `name` with its config and stored status.
func StepContext(name string, cfg, status json.RawMessage) *types.RpcStepContext {
	return &types.RpcStepContext{PluginName: name, Config: cfg, Status: status}
}

// RunStep calls the step plugin's Run as the controller does while the rollout is Progressing: it stores the
// returned status and hands it back on the next call, calls again after requeueAfter while the phase is
// Running, keeps the previous phase when the result has none, and on an RpcError discards the result and
// retries with the status it had. It returns when the phase is Successful or Failed.
func RunStep(ctx context.Context, p steprpc.StepPlugin, rollout *v1alpha1.Rollout, name string, cfg json.RawMessage, o StepOptions) (StepOutcome, error) {
	if o.MaxRpcErrors <= 0 {
		o.MaxRpcErrors = 5
	}
	if o.ErrorDelay <= 0 {
		o.ErrorDelay = time.Second
	}
	if o.DefaultRequeue <= 0 {
		o.DefaultRequeue = time.Second
	}
	out := StepOutcome{Phase: types.PhaseRunning, Status: o.Status}
	for {
		res, rpcErr := p.Run(rollout.DeepCopy(), StepContext(name, cfg, out.Status))
		out.Calls++
		call := StepCall{Method: "Run", Phase: res.Phase, Message: res.Message, Status: res.Status, RpcError: rpcErr.ErrorString}
		if res.RequeueAfter > 0 {
			call.RequeueAfter = res.RequeueAfter.String()
		}
		if o.Progress != nil {
			o.Progress(call)
		}
		wait := o.DefaultRequeue
		if rpcErr.HasError() {
			out.RpcErrors = append(out.RpcErrors, rpcErr.ErrorString)
			if len(out.RpcErrors) >= o.MaxRpcErrors {
				out.Phase, out.Message = types.PhaseError, rpcErr.ErrorString
				return out, fmt.Errorf("step plugin returned %d RpcErrors, last: %s", len(out.RpcErrors), rpcErr.ErrorString)
			}
			wait = o.ErrorDelay
		} else {
			if res.Phase != "" {
				if err := res.Phase.Validate(); err != nil {
					return out, fmt.Errorf("could not validate rpc phase: %w", err)
				}
				out.Phase = res.Phase
			}
			out.Message, out.Status = res.Message, res.Status
			if out.Phase == types.PhaseError {
				// The controller would retry this forever without a message the user can act on.
				return out, fmt.Errorf("step plugin returned phase Error without an RpcError: %s", res.Message)
			}
			if out.Phase == types.PhaseSuccessful || out.Phase == types.PhaseFailed {
				return out, nil
			}
			if res.RequeueAfter > 0 {
				wait = res.RequeueAfter
			}
		}
		if err := sleep(ctx, wait); err != nil {
			return out, fmt.Errorf("step not finished: %w", err)
		}
	}
}
