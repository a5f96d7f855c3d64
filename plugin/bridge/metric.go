package main

import (
	"context"
	"encoding/json"
	"fmt"

	metricrpc "github.com/argoproj/argo-rollouts/metricproviders/plugin/rpc"
	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/argoproj/argo-rollouts/utils/plugin/types"
	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rollouts-cv/rollouts-cv/plugin/bridge/internal/rpcpb"
)

// metricProviderType is what Type reports. It is the provider type the controller gives RPC plugins
// (metricproviders/plugin.ProviderType), which Argo's sample metric plugin reports too; importing that package
// would pull the controller's Kubernetes client into the bridge.
const metricProviderType = "RPCPlugin"

// metricPlugin serves the metric-provider role: one engine call per method.
type metricPlugin struct {
	name   string
	engine *engine
	log    hclog.Logger
}

var _ metricrpc.MetricProviderPlugin = (*metricPlugin)(nil)

func metricClient(cc grpc.ClientConnInterface) initPluginClient {
	return rpcpb.NewMetricProviderClient(cc)
}

// InitPlugin fails only for invalid arguments. The controller calls it once, right after starting the process
// for the first measurement that needs the plugin; an error fails that measurement, yet the controller keeps
// the process and uses it from the next reconcile on without calling InitPlugin again. Failing because the
// engine is not up yet would therefore only cost one spurious Error, so the engine is contacted in the
// background and calls report its state. Invalid arguments, on the other hand, also fail every later call.
func (p *metricPlugin) InitPlugin() types.RpcError {
	if p.engine.argsErr != nil {
		return types.RpcError{ErrorString: fmt.Sprintf("rollouts-cv-bridge: invalid args: %s", p.engine.argsErr)}
	}
	p.engine.initPlugin(p.name, metricClient)
	return types.RpcError{}
}

func (p *metricPlugin) Run(run *v1alpha1.AnalysisRun, metric v1alpha1.Metric) v1alpha1.Measurement {
	now := metav1.Now()
	base := v1alpha1.Measurement{StartedAt: &now}
	req := &rpcpb.MetricRunRequest{}
	if err := marshalAll(run, &req.AnalysisRunJson, metric, &req.MetricJson); err != nil {
		return errorMeasurement(base, err)
	}
	var resp *rpcpb.Measurement
	err := p.engine.invoke("Run", func(ctx context.Context, cc grpc.ClientConnInterface) (err error) {
		resp, err = rpcpb.NewMetricProviderClient(cc).Run(ctx, req)
		return err
	})
	if err != nil {
		return errorMeasurement(base, err)
	}
	return measurementFromProto(resp, base)
}

func (p *metricPlugin) Resume(run *v1alpha1.AnalysisRun, metric v1alpha1.Metric, m v1alpha1.Measurement) v1alpha1.Measurement {
	return p.continueMeasurement("Resume", run, metric, m)
}

func (p *metricPlugin) Terminate(run *v1alpha1.AnalysisRun, metric v1alpha1.Metric, m v1alpha1.Measurement) v1alpha1.Measurement {
	return p.continueMeasurement("Terminate", run, metric, m)
}

// continueMeasurement serves Resume and Terminate, which differ only in the engine method called.
func (p *metricPlugin) continueMeasurement(method string, run *v1alpha1.AnalysisRun, metric v1alpha1.Metric, m v1alpha1.Measurement) v1alpha1.Measurement {
	req := &rpcpb.MetricMeasurementRequest{Measurement: measurementToProto(m)}
	if err := marshalAll(run, &req.AnalysisRunJson, metric, &req.MetricJson); err != nil {
		return errorMeasurement(m, err)
	}
	var resp *rpcpb.Measurement
	err := p.engine.invoke(method, func(ctx context.Context, cc grpc.ClientConnInterface) (err error) {
		c := rpcpb.NewMetricProviderClient(cc)
		if method == "Terminate" {
			resp, err = c.Terminate(ctx, req)
		} else {
			resp, err = c.Resume(ctx, req)
		}
		return err
	})
	if err != nil {
		return errorMeasurement(m, err)
	}
	return measurementFromProto(resp, m)
}

func (p *metricPlugin) GarbageCollect(run *v1alpha1.AnalysisRun, metric v1alpha1.Metric, limit int) types.RpcError {
	req := &rpcpb.GarbageCollectRequest{Limit: int32(min(limit, 1<<31-1))}
	if err := marshalAll(run, &req.AnalysisRunJson, metric, &req.MetricJson); err != nil {
		return types.RpcError{ErrorString: err.Error()}
	}
	var resp *rpcpb.PluginError
	err := p.engine.invoke("GarbageCollect", func(ctx context.Context, cc grpc.ClientConnInterface) (err error) {
		resp, err = rpcpb.NewMetricProviderClient(cc).GarbageCollect(ctx, req)
		return err
	})
	if err != nil {
		return types.RpcError{ErrorString: err.Error()}
	}
	return types.RpcError{ErrorString: resp.GetErrorString()}
}

func (p *metricPlugin) Type() string { return metricProviderType }

// GetMetadata has no error channel: on failure it logs and returns no metadata.
func (p *metricPlugin) GetMetadata(metric v1alpha1.Metric) map[string]string {
	metricJSON, err := json.Marshal(metric)
	if err != nil {
		p.log.Error("GetMetadata: cannot encode the metric", "error", err)
		return nil
	}
	var resp *rpcpb.GetMetadataResponse
	err = p.engine.invoke("GetMetadata", func(ctx context.Context, cc grpc.ClientConnInterface) (err error) {
		resp, err = rpcpb.NewMetricProviderClient(cc).GetMetadata(ctx, &rpcpb.GetMetadataRequest{MetricJson: metricJSON})
		return err
	})
	if err != nil {
		p.log.Warn("GetMetadata failed", "metric", metric.Name, "error", err)
		return nil
	}
	return resp.GetMetadata()
}

// marshalAll encodes the AnalysisRun and Metric as their Kubernetes JSON, which is what the engine reads.
func marshalAll(run *v1alpha1.AnalysisRun, runOut *[]byte, metric v1alpha1.Metric, metricOut *[]byte) error {
	var err error
	if *runOut, err = json.Marshal(run); err != nil {
		return fmt.Errorf("rollouts-cv-bridge: cannot encode the AnalysisRun: %w", err)
	}
	if *metricOut, err = json.Marshal(metric); err != nil {
		return fmt.Errorf("rollouts-cv-bridge: cannot encode metric %q: %w", metric.Name, err)
	}
	return nil
}
