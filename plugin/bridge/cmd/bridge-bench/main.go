// Command bridge-bench measures what the bridge adds to a call: it loads the bridge exactly as the Argo Rollouts
// controller does (package host) and times the same metric Run call made through the controller's plugin client
// (a new provider per call, as the controller's analysis loop builds one per reconcile, then Run over net/rpc to
// the bridge, which calls the engine over gRPC), the Run alone through a provider made beforehand, and the call
// made directly to the engine over gRPC, sequentially and from many goroutines at once.
//
// Usage:
//
//	bridge-bench --bridge PATH --engine-address HOST:PORT --metric FILE --analysis-run FILE
//	             [--args "ARG ..."] [--calls 1000] [--concurrency 100] [--rounds 10]
//
// It prints one JSON object: per mode (sequential, concurrent) the p50/p99 in milliseconds of the calls through
// the bridge and of the direct calls, and their difference (the bridge's overhead).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/hashicorp/go-hclog"
	"github.com/sirupsen/logrus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/rollouts-cv/rollouts-cv/plugin/bridge/host"
	"github.com/rollouts-cv/rollouts-cv/plugin/bridge/internal/rpcpb"
)

type percentiles struct {
	P50 float64 `json:"p50_ms"`
	P99 float64 `json:"p99_ms"`
}

type comparison struct {
	Calls    int         `json:"calls"`
	Bridge   percentiles `json:"bridge"`
	Direct   percentiles `json:"direct"`
	Overhead percentiles `json:"overhead"`
	// The Run call alone through a provider obtained beforehand: without the controller's per-reconcile provider
	// lookup, which pings the plugin under a lock its plugin client shares between all calls.
	BridgeRunOnly   percentiles `json:"bridge_run_only"`
	OverheadRunOnly percentiles `json:"overhead_run_only"`
}

type result struct {
	Sequential comparison `json:"sequential"`
	Concurrent comparison `json:"concurrent"`
	// Concurrency is how many calls were in flight at once in the concurrent mode.
	Concurrency int `json:"concurrency"`
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "bridge-bench: %v\n", err)
		os.Exit(1)
	}
}

func run(argv []string) error {
	var bridgePath, engineAddress, metricFile, runFile, args string
	var calls, concurrency, rounds int
	fs := flag.NewFlagSet("bridge-bench", flag.ContinueOnError)
	fs.StringVar(&bridgePath, "bridge", "", "path of the bridge binary (required)")
	fs.StringVar(&engineAddress, "engine-address", "", "host:port of the engine (required)")
	fs.StringVar(&metricFile, "metric", "", "v1alpha1.Metric, JSON or YAML (required)")
	fs.StringVar(&runFile, "analysis-run", "", "v1alpha1.AnalysisRun, JSON or YAML (required)")
	fs.StringVar(&args, "args", "", "extra bridge args besides --engine-address, separated by white space")
	fs.IntVar(&calls, "calls", 1000, "sequential calls per path")
	fs.IntVar(&concurrency, "concurrency", 100, "calls in flight at once in the concurrent mode")
	fs.IntVar(&rounds, "rounds", 10, "calls per goroutine in the concurrent mode")
	if err := fs.Parse(argv); err != nil {
		return err
	}
	if bridgePath == "" || engineAddress == "" || metricFile == "" || runFile == "" {
		return errors.New("--bridge, --engine-address, --metric and --analysis-run are required")
	}
	var metric v1alpha1.Metric
	var analysisRun v1alpha1.AnalysisRun
	if err := host.ReadObject(metricFile, &metric); err != nil {
		return err
	}
	if err := host.ReadObject(runFile, &analysisRun); err != nil {
		return err
	}
	if len(metric.Provider.Plugin) != 1 {
		return fmt.Errorf("%s: provider.plugin must have exactly one entry, the plugin name", metricFile)
	}
	var name string
	for k := range metric.Provider.Plugin {
		name = k
	}
	request := &rpcpb.MetricRunRequest{}
	var err error
	if request.AnalysisRunJson, err = json.Marshal(&analysisRun); err != nil {
		return err
	}
	if request.MetricJson, err = json.Marshal(&metric); err != nil {
		return err
	}

	hclog.DefaultOutput = io.Discard
	logrus.SetOutput(io.Discard)
	bridge, err := filepath.Abs(bridgePath)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "bridge-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	defer host.Stop()
	bridgeArgs := append([]string{"--engine-address", engineAddress}, strings.Fields(args)...)
	if err := host.Setup(dir, host.Plugin{Kind: host.MetricProvider, Name: name, Binary: bridge, Args: bridgeArgs}); err != nil {
		return err
	}
	conn, err := grpc.NewClient("passthrough:///"+engineAddress, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	client := rpcpb.NewMetricProviderClient(conn)

	throughBridge := func() error {
		provider, err := host.MetricProviderFor(metric)
		if err != nil {
			return err
		}
		m := provider.Run(analysisRun.DeepCopy(), metric)
		if m.Phase != v1alpha1.AnalysisPhaseRunning {
			return fmt.Errorf("through the bridge: Run answered %s: %s", m.Phase, m.Message)
		}
		return nil
	}
	provider, err := host.MetricProviderFor(metric)
	if err != nil {
		return err
	}
	runOnly := func() error {
		if m := provider.Run(analysisRun.DeepCopy(), metric); m.Phase != v1alpha1.AnalysisPhaseRunning {
			return fmt.Errorf("through the bridge: Run answered %s: %s", m.Phase, m.Message)
		}
		return nil
	}
	direct := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		m, err := client.Run(ctx, request)
		if err != nil {
			return fmt.Errorf("direct: %w", err)
		}
		if m.GetPhase() != string(v1alpha1.AnalysisPhaseRunning) {
			return fmt.Errorf("direct: Run answered %s: %s", m.GetPhase(), m.GetMessage())
		}
		return nil
	}

	// Warm up both paths: the plugin process, the connections, the engine's code paths.
	for range 50 {
		if err := throughBridge(); err != nil {
			return err
		}
		if err := direct(); err != nil {
			return err
		}
	}
	var out result
	out.Concurrency = concurrency
	// Sequential: the paths alternate, so that any drift of the machine's load falls on all alike.
	var bridgeTimes, runOnlyTimes, directTimes []time.Duration
	for range calls {
		for _, path := range []struct {
			call  func() error
			times *[]time.Duration
		}{{throughBridge, &bridgeTimes}, {runOnly, &runOnlyTimes}, {direct, &directTimes}} {
			started := time.Now()
			if err := path.call(); err != nil {
				return err
			}
			*path.times = append(*path.times, time.Since(started))
		}
	}
	out.Sequential = compare(bridgeTimes, runOnlyTimes, directTimes)

	var concurrent [3][]time.Duration
	for i, call := range []func() error{throughBridge, runOnly, direct} {
		if concurrent[i], err = concurrently(call, concurrency, rounds); err != nil {
			return err
		}
	}
	out.Concurrent = compare(concurrent[0], concurrent[1], concurrent[2])
	return json.NewEncoder(os.Stdout).Encode(out)
}

// concurrently runs rounds waves of `concurrency` simultaneous calls and returns every call's duration.
func concurrently(call func() error, concurrency, rounds int) ([]time.Duration, error) {
	var times []time.Duration
	for range rounds {
		durations := make([]time.Duration, concurrency)
		errs := make([]error, concurrency)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range concurrency {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				started := time.Now()
				errs[i] = call()
				durations[i] = time.Since(started)
			}()
		}
		close(start)
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
		times = append(times, durations...)
	}
	return times, nil
}

func compare(bridge, runOnly, direct []time.Duration) comparison {
	b, r, d := percentilesOf(bridge), percentilesOf(runOnly), percentilesOf(direct)
	return comparison{
		Calls:           len(bridge),
		Bridge:          b,
		Direct:          d,
		Overhead:        percentiles{P50: round(b.P50 - d.P50), P99: round(b.P99 - d.P99)},
		BridgeRunOnly:   r,
		OverheadRunOnly: percentiles{P50: round(r.P50 - d.P50), P99: round(r.P99 - d.P99)},
	}
}

func percentilesOf(times []time.Duration) percentiles {
	return percentiles{P50: percentile(times, 0.50), P99: percentile(times, 0.99)}
}

// percentile in milliseconds, nearest rank.
func percentile(times []time.Duration, q float64) float64 {
	if len(times) == 0 {
		return 0
	}
	sorted := slices.Clone(times)
	slices.Sort(sorted)
	rank := int(math.Ceil(q*float64(len(sorted)))) - 1
	return round(float64(sorted[max(rank, 0)]) / float64(time.Millisecond))
}

func round(ms float64) float64 { return math.Round(ms*100) / 100 }
