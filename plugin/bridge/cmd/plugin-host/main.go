// Command plugin-host loads a plugin binary exactly as the Argo Rollouts controller does (through the
// controller's own config, downloader and plugin client packages; see package host) and drives it through one
// measurement or one plugin step, without Kubernetes.
//
// Usage:
//
//	plugin-host metric --bridge PATH --metric FILE [--analysis-run FILE] [--args "ARG ..."]
//	                   [--terminate-after DURATION] [--timeout DURATION] [--work-dir DIR] [--verbose]
//	plugin-host step   --bridge PATH --config FILE [--rollout FILE] [--name ORG/NAME] [--args "ARG ..."]
//	                   [--max-rpc-errors N] [--timeout DURATION] [--work-dir DIR] [--verbose]
//
// metric: FILE is a v1alpha1.Metric (JSON or YAML) whose provider.plugin has exactly one key, the plugin
// name the bridge is registered under; --analysis-run is the AnalysisRun handed to the plugin (default: a
// minimal one holding the metric). It calls Run, then Resume whenever resumeAt is reached, until the
// measurement has finishedAt; with --terminate-after it calls Terminate at that time instead.
//
// step: --config is the step's plugin config (steps[i].plugin.config), --rollout the Rollout handed to the
// plugin (default: a minimal one), --name the plugin name (default rollouts-cv/gate). It calls Run until the
// phase is Successful or Failed, waiting requeueAfter between calls and passing back the returned status;
// an RpcError is retried after 1 s, up to --max-rpc-errors times.
//
// --args is the plugin entry's args list, split on white space (e.g. "--engine-address 127.0.0.1:9090").
//
// Output: every plugin answer is a JSON line on stderr ({"method":...,"measurement":...} or a step call);
// the result is the last line on stdout: the final Measurement for metric, and
// {"phase","message","status","calls","rpcErrors"} for step.
//
// Exit status: 0 when a result was reached (whatever its phase); 1 for bad usage, or when the plugin cannot be
// loaded (an Error result is printed, as the controller would record); 2 when --timeout passed or the step
// gave up after RpcErrors (the last state is still printed).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/argoproj/argo-rollouts/utils/plugin/types"
	"github.com/hashicorp/go-hclog"
	"github.com/sirupsen/logrus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rollouts-cv/rollouts-cv/plugin/bridge/host"
)

const usage = `usage:
  plugin-host metric --bridge PATH --metric FILE [--analysis-run FILE] [--args "ARG ..."] [--terminate-after D] [--timeout D]
  plugin-host step   --bridge PATH --config FILE [--rollout FILE] [--name ORG/NAME] [--args "ARG ..."] [--max-rpc-errors N] [--timeout D]
`

// common are the flags both subcommands take.
type common struct {
	bridge  string
	args    string
	timeout time.Duration
	workDir string
	verbose bool
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.bridge, "bridge", "", "path of the plugin binary (required)")
	fs.StringVar(&c.args, "args", "", "the plugin entry's args, separated by white space")
	fs.DurationVar(&c.timeout, "timeout", 5*time.Minute, "give up after this long")
	fs.StringVar(&c.workDir, "work-dir", "", "directory for plugin-bin/ (default: a temporary directory, removed at exit)")
	fs.BoolVar(&c.verbose, "verbose", false, "show the plugin client's and the plugin's own log on stderr")
}

func main() { os.Exit(run(os.Args[1:])) }

func run(argv []string) int {
	if len(argv) == 0 || (argv[0] != "metric" && argv[0] != "step") {
		fmt.Fprint(os.Stderr, usage)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var code int
	var err error
	if argv[0] == "metric" {
		code, err = runMetric(ctx, argv[1:])
	} else {
		code, err = runStep(ctx, argv[1:])
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "plugin-host %s: %v\n", argv[0], err)
	}
	return code
}

// load registers the plugin and installs it as the controller would. The returned cleanup stops the plugin
// process and removes a temporary work directory.
func load(c common, kind host.Kind, name string) (cleanup func(), err error) {
	if c.bridge == "" {
		return nil, errors.New("--bridge is required")
	}
	if !c.verbose {
		// go-plugin's client logs (and relays the plugin's stderr) through hclog's default output; Argo logs
		// through logrus.
		hclog.DefaultOutput = io.Discard
		logrus.SetOutput(io.Discard)
	}
	bridge, err := filepath.Abs(c.bridge)
	if err != nil {
		return nil, err
	}
	dir, removeDir := c.workDir, func() {}
	if dir == "" {
		if dir, err = os.MkdirTemp("", "plugin-host-"); err != nil {
			return nil, err
		}
		removeDir = func() { _ = os.RemoveAll(dir) }
	}
	cleanup = func() { host.Stop(); removeDir() }
	if err := host.Setup(dir, host.Plugin{Kind: kind, Name: name, Binary: bridge, Args: strings.Fields(c.args)}); err != nil {
		cleanup()
		return nil, err
	}
	return cleanup, nil
}

func runMetric(ctx context.Context, argv []string) (int, error) {
	var c common
	var metricFile, runFile string
	var terminateAfter time.Duration
	fs := flag.NewFlagSet("plugin-host metric", flag.ContinueOnError)
	c.register(fs)
	fs.StringVar(&metricFile, "metric", "", "v1alpha1.Metric, JSON or YAML (required)")
	fs.StringVar(&runFile, "analysis-run", "", "v1alpha1.AnalysisRun, JSON or YAML (default: a minimal run holding the metric)")
	fs.DurationVar(&terminateAfter, "terminate-after", 0, "call Terminate this long after Run instead of waiting for the result")
	if err := fs.Parse(argv); err != nil {
		return 1, nil
	}
	if metricFile == "" {
		return 1, errors.New("--metric is required")
	}
	var metric v1alpha1.Metric
	if err := host.ReadObject(metricFile, &metric); err != nil {
		return 1, err
	}
	if len(metric.Provider.Plugin) != 1 {
		return 1, fmt.Errorf("%s: provider.plugin must have exactly one entry, the plugin name", metricFile)
	}
	var name string
	for k := range metric.Provider.Plugin {
		name = k
	}
	analysisRun := &v1alpha1.AnalysisRun{
		ObjectMeta: metav1.ObjectMeta{Name: "plugin-host", Namespace: "default"},
		Spec:       v1alpha1.AnalysisRunSpec{Metrics: []v1alpha1.Metric{metric}},
	}
	if runFile != "" {
		if err := host.ReadObject(runFile, analysisRun); err != nil {
			return 1, err
		}
	}

	cleanup, err := load(c, host.MetricProvider, name)
	if err != nil {
		return 1, err
	}
	defer cleanup()
	provider, err := host.MetricProviderFor(metric)
	if err != nil {
		// What the controller records when it cannot get the provider (e.g. the plugin's InitPlugin failed).
		now := metav1.Now()
		printJSON(os.Stdout, v1alpha1.Measurement{Phase: v1alpha1.AnalysisPhaseError, Message: err.Error(), StartedAt: &now, FinishedAt: &now})
		return 1, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	m, err := host.Measure(ctx, provider, analysisRun, metric, host.MeasureOptions{
		TerminateAfter: terminateAfter,
		Progress: func(method string, m v1alpha1.Measurement) {
			printJSON(os.Stderr, map[string]any{"method": method, "measurement": m})
		},
	})
	printJSON(os.Stdout, m)
	if err != nil {
		return 2, err
	}
	return 0, nil
}

func runStep(ctx context.Context, argv []string) (int, error) {
	var c common
	var configFile, rolloutFile, name string
	var maxRpcErrors int
	fs := flag.NewFlagSet("plugin-host step", flag.ContinueOnError)
	c.register(fs)
	fs.StringVar(&configFile, "config", "", "the step's plugin config, JSON or YAML (required)")
	fs.StringVar(&rolloutFile, "rollout", "", "v1alpha1.Rollout, JSON or YAML (default: a minimal rollout)")
	fs.StringVar(&name, "name", "rollouts-cv/gate", "plugin name, <org>/<name>")
	fs.IntVar(&maxRpcErrors, "max-rpc-errors", 5, "give up after this many RpcErrors")
	if err := fs.Parse(argv); err != nil {
		return 1, nil
	}
	if configFile == "" {
		return 1, errors.New("--config is required")
	}
	var cfg json.RawMessage
	if err := host.ReadObject(configFile, &cfg); err != nil {
		return 1, err
	}
	rollout := &v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Name: "plugin-host", Namespace: "default"}}
	if rolloutFile != "" {
		if err := host.ReadObject(rolloutFile, rollout); err != nil {
			return 1, err
		}
	}

	cleanup, err := load(c, host.Step, name)
	if err != nil {
		return 1, err
	}
	defer cleanup()
	plugin, err := host.StepPlugin(name)
	if err != nil {
		printJSON(os.Stdout, host.StepOutcome{Phase: types.PhaseError, Message: err.Error()})
		return 1, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	out, err := host.RunStep(ctx, plugin, rollout, name, cfg, host.StepOptions{
		MaxRpcErrors: maxRpcErrors,
		Progress:     func(call host.StepCall) { printJSON(os.Stderr, call) },
	})
	printJSON(os.Stdout, out)
	if err != nil {
		return 2, err
	}
	return 0, nil
}

func printJSON(w io.Writer, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(map[string]string{"error": err.Error()})
	}
	fmt.Fprintln(w, string(b))
}
