package conformance

import (
	"encoding/json"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Verification window of every scenario: long enough for the judge to have several samples, short enough
// for the suite to finish in about a minute.
const (
	window   = "15s"
	interval = "5s"
)

// The error ratio is judged on counts: the engine takes the increases of the error and request counters per
// pod itself. The sandbox's Prometheus scrapes every second.
const (
	queryStep      = "5s"
	scrapeInterval = "1s"
	errorsTotal    = `sum by (pod) (http_requests_total{code=~"5..",${selector}})`
	requestsTotal  = `sum by (pod) (http_requests_total{${selector}})`
)

// verifyConfig is a rollouts-cv/verify plugin config comparing canary with the stable group. An empty
// canary leaves canary and baseline out, so that a step defaults them from the Rollout's status. edits
// change fields, e.g. to make the config invalid.
func (e *environment) verifyConfig(canary string, edits ...func(map[string]any)) map[string]any {
	cfg := map[string]any{
		"duration":     window,
		"interval":     interval,
		"sensitivity":  "medium",
		"failOnNoData": true,
		"source":       map[string]any{"prometheus": map[string]any{"address": e.prometheus, "step": queryStep, "scrapeInterval": scrapeInterval}},
		"metrics": []any{map[string]any{
			"name": "error-rate", "kind": "ratio", "direction": "higher-is-bad",
			"numerator": errorsTotal, "denominator": requestsTotal,
		}},
	}
	if canary != "" {
		cfg["canary"] = map[string]any{"podTemplateHash": canary}
		cfg["baseline"] = map[string]any{"podTemplateHash": stableHash}
	}
	for _, edit := range edits {
		edit(cfg)
	}
	return cfg
}

func set(key string, value any) func(map[string]any) {
	return func(cfg map[string]any) { cfg[key] = value }
}

func rawJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// metricFor is the AnalysisTemplate metric the controller would hand the plugin (args already substituted).
func metricFor(plugin string, cfg map[string]any) v1alpha1.Metric {
	return v1alpha1.Metric{
		Name:     "verify",
		Interval: interval,
		Provider: v1alpha1.MetricProvider{Plugin: map[string]json.RawMessage{plugin: rawJSON(cfg)}},
	}
}

// analysisRunFor is an AnalysisRun as the controller creates it for a canary step's analysis.
func analysisRunFor(name, canaryHash string, metric v1alpha1.Metric) *v1alpha1.AnalysisRun {
	now := metav1.NewTime(time.Now().UTC().Truncate(time.Second))
	return &v1alpha1.AnalysisRun{
		TypeMeta: metav1.TypeMeta{APIVersion: "argoproj.io/v1alpha1", Kind: "AnalysisRun"},
		ObjectMeta: metav1.ObjectMeta{
			Name: name + "-" + canaryHash + "-2-1", Namespace: "shop", UID: types.UID("uid-" + name),
			Labels: map[string]string{"rollouts-pod-template-hash": canaryHash, "rollout-type": "Step", "step-index": "1"},
		},
		Spec:   v1alpha1.AnalysisRunSpec{Metrics: []v1alpha1.Metric{metric}},
		Status: v1alpha1.AnalysisRunStatus{Phase: v1alpha1.AnalysisPhaseRunning, StartedAt: &now},
	}
}

// rolloutFor is a Rollout in the middle of a canary update from the stable group to canaryHash.
func rolloutFor(name, canaryHash string) *v1alpha1.Rollout {
	step := int32(1)
	return &v1alpha1.Rollout{
		TypeMeta:   metav1.TypeMeta{APIVersion: "argoproj.io/v1alpha1", Kind: "Rollout"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", UID: types.UID("uid-" + name), Generation: 2},
		Status: v1alpha1.RolloutStatus{
			Phase: v1alpha1.RolloutPhaseProgressing, CurrentPodHash: canaryHash, StableRS: stableHash,
			CurrentStepIndex: &step, ObservedGeneration: "2",
		},
	}
}
