package host

import (
	"context"
	"fmt"
	"time"

	"github.com/argoproj/argo-rollouts/metric"
	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
)

// MeasureOptions tune Measure.
type MeasureOptions struct {
	// TerminateAfter, when positive, calls Terminate on the in-flight measurement once this much time has
	// passed since Run, as the controller does when the AnalysisRun is terminated.
	TerminateAfter time.Duration
	// Poll is the wait before resuming a Running measurement that has no resumeAt (default 1s). The controller
	// resumes such a measurement on its next reconcile.
	Poll time.Duration
	// Progress, if set, receives every measurement the plugin returns.
	Progress func(method string, m v1alpha1.Measurement)
}

// Measure takes one measurement as the controller's analysis loop does: Run, then Resume each time resumeAt
// is reached, until the measurement has finishedAt. The AnalysisRun's status carries the in-flight
// measurement between calls, as it would in the cluster. It returns the finished measurement, or the last
// one with ctx's error.
func Measure(ctx context.Context, p metric.Provider, run *v1alpha1.AnalysisRun, m v1alpha1.Metric, o MeasureOptions) (v1alpha1.Measurement, error) {
	start := time.Now()
	meas := o.report(run, m.Name, "Run", p.Run(run.DeepCopy(), m))
	return continueMeasure(ctx, p, run, m, meas, start, o)
}

// Continue carries on with an in-flight measurement (e.g. one returned by a Run made before an engine
// restart) as Measure does after its Run; TerminateAfter counts from the call.
func Continue(ctx context.Context, p metric.Provider, run *v1alpha1.AnalysisRun, m v1alpha1.Metric, meas v1alpha1.Measurement, o MeasureOptions) (v1alpha1.Measurement, error) {
	return continueMeasure(ctx, p, run, m, meas, time.Now(), o)
}

func continueMeasure(ctx context.Context, p metric.Provider, run *v1alpha1.AnalysisRun, m v1alpha1.Metric, meas v1alpha1.Measurement, start time.Time, o MeasureOptions) (v1alpha1.Measurement, error) {
	poll := o.Poll
	if poll <= 0 {
		poll = time.Second
	}
	for meas.FinishedAt == nil {
		wait := poll
		if meas.ResumeAt != nil {
			wait = time.Until(meas.ResumeAt.Time)
		}
		if o.TerminateAfter > 0 && time.Since(start)+wait >= o.TerminateAfter {
			if err := sleep(ctx, o.TerminateAfter-time.Since(start)); err != nil {
				return meas, err
			}
			return o.report(run, m.Name, "Terminate", p.Terminate(run.DeepCopy(), m, meas)), nil
		}
		if err := sleep(ctx, wait); err != nil {
			return meas, fmt.Errorf("measurement not finished: %w", err)
		}
		meas = o.report(run, m.Name, "Resume", p.Resume(run.DeepCopy(), m, meas))
	}
	return meas, nil
}

func (o MeasureOptions) report(run *v1alpha1.AnalysisRun, metricName, method string, meas v1alpha1.Measurement) v1alpha1.Measurement {
	recordMeasurement(run, metricName, meas)
	if o.Progress != nil {
		o.Progress(method, meas)
	}
	return meas
}

// recordMeasurement keeps the metric's latest measurement in the run's status, replacing an in-flight one.
func recordMeasurement(run *v1alpha1.AnalysisRun, metricName string, meas v1alpha1.Measurement) {
	for i := range run.Status.MetricResults {
		r := &run.Status.MetricResults[i]
		if r.Name != metricName {
			continue
		}
		if n := len(r.Measurements); n > 0 && r.Measurements[n-1].FinishedAt == nil {
			r.Measurements[n-1] = meas
		} else {
			r.Measurements = append(r.Measurements, meas)
		}
		r.Phase = meas.Phase
		return
	}
	run.Status.MetricResults = append(run.Status.MetricResults, v1alpha1.MetricResult{
		Name: metricName, Phase: meas.Phase, Measurements: []v1alpha1.Measurement{meas},
	})
}
