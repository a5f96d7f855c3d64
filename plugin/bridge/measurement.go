package main

import (
	"fmt"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rollouts-cv/rollouts-cv/plugin/bridge/internal/rpcpb"
)

// measurementPhases are the phases the controller understands in a Measurement. Anything else from the engine
// is a bug there and becomes an Error, so that the controller never acts on a phase it cannot interpret.
var measurementPhases = map[v1alpha1.AnalysisPhase]bool{
	v1alpha1.AnalysisPhasePending:      true,
	v1alpha1.AnalysisPhaseRunning:      true,
	v1alpha1.AnalysisPhaseSuccessful:   true,
	v1alpha1.AnalysisPhaseFailed:       true,
	v1alpha1.AnalysisPhaseError:        true,
	v1alpha1.AnalysisPhaseInconclusive: true,
}

func formatTime(t *metav1.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func parseTime(field, s string) (*metav1.Time, error) {
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil, fmt.Errorf("engine returned an invalid %s %q (want RFC 3339)", field, s)
	}
	mt := metav1.NewTime(t.UTC())
	return &mt, nil
}

func measurementToProto(m v1alpha1.Measurement) *rpcpb.Measurement {
	return &rpcpb.Measurement{
		Phase:      string(m.Phase),
		Message:    m.Message,
		StartedAt:  formatTime(m.StartedAt),
		FinishedAt: formatTime(m.FinishedAt),
		Value:      m.Value,
		Metadata:   m.Metadata,
		ResumeAt:   formatTime(m.ResumeAt),
	}
}

// measurementFromProto maps the engine's answer back. base is what the controller sent (or, for Run, a
// measurement started now); it supplies startedAt when the engine leaves it out and is the basis of the Error
// measurement when the answer is unusable.
func measurementFromProto(pb *rpcpb.Measurement, base v1alpha1.Measurement) v1alpha1.Measurement {
	m := v1alpha1.Measurement{
		Phase:    v1alpha1.AnalysisPhase(pb.GetPhase()),
		Message:  pb.GetMessage(),
		Value:    pb.GetValue(),
		Metadata: pb.GetMetadata(),
	}
	if !measurementPhases[m.Phase] {
		return errorMeasurement(base, fmt.Errorf("rollouts-cv engine returned invalid measurement phase %q (message: %q)", pb.GetPhase(), pb.GetMessage()))
	}
	var err error
	for _, f := range []struct {
		name string
		in   string
		out  **metav1.Time
	}{{"startedAt", pb.GetStartedAt(), &m.StartedAt}, {"finishedAt", pb.GetFinishedAt(), &m.FinishedAt}, {"resumeAt", pb.GetResumeAt(), &m.ResumeAt}} {
		if *f.out, err = parseTime(f.name, f.in); err != nil {
			return errorMeasurement(base, err)
		}
	}
	if m.StartedAt == nil {
		m.StartedAt = base.StartedAt
	}
	// The controller treats a measurement without finishedAt as still in flight, whatever its phase.
	if m.FinishedAt == nil && m.Phase.Completed() {
		now := metav1.Now()
		m.FinishedAt = &now
	}
	return m
}

// errorMeasurement finishes base with phase Error. It keeps startedAt, value and metadata so that a failed
// Resume or Terminate does not lose what the measurement already recorded.
func errorMeasurement(base v1alpha1.Measurement, err error) v1alpha1.Measurement {
	m := *base.DeepCopy()
	now := metav1.Now()
	if m.StartedAt == nil {
		m.StartedAt = &now
	}
	m.Phase = v1alpha1.AnalysisPhaseError
	m.Message = err.Error()
	m.FinishedAt = &now
	m.ResumeAt = nil
	return m
}
