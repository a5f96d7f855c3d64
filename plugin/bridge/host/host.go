// Package host loads plugins the way the Argo Rollouts controller does, using the controller's own code: the
// plugins are registered in an argo-rollouts-config ConfigMap (served by a fake clientset), Argo's config
// loader reads it, Argo's downloader copies each file:// binary into plugin-bin/<org>/<name>, and Argo's
// metric-provider and step plugin clients start them with the go-plugin handshake and call them over net/rpc.
// It is shared by cmd/plugin-host and the conformance tests.
package host

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/argoproj/argo-rollouts/metric"
	metricplugin "github.com/argoproj/argo-rollouts/metricproviders/plugin"
	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	stepclient "github.com/argoproj/argo-rollouts/rollout/steps/plugin/client"
	steprpc "github.com/argoproj/argo-rollouts/rollout/steps/plugin/rpc"
	"github.com/argoproj/argo-rollouts/utils/config"
	"github.com/argoproj/argo-rollouts/utils/defaults"
	argoplugin "github.com/argoproj/argo-rollouts/utils/plugin"
	goplugin "github.com/hashicorp/go-plugin"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

// Kind says under which key of argo-rollouts-config a plugin is registered.
type Kind string

const (
	MetricProvider Kind = "metricProviderPlugins"
	Step           Kind = "stepPlugins"
)

// Plugin is one entry of argo-rollouts-config.
type Plugin struct {
	Kind   Kind
	Name   string   // <org>/<name>, e.g. rollouts-cv/verify
	Binary string   // path of the plugin binary, registered as a file:// location
	Args   []string // the entry's args, passed to the process as argv
}

// entry is the YAML (here JSON, a subset of YAML) form of a plugin entry in the ConfigMap.
type entry struct {
	Name     string   `json:"name"`
	Location string   `json:"location"`
	Args     []string `json:"args,omitempty"`
}

// Setup registers the plugins and installs them as the controller does at start-up (controller.go:
// config.InitializeConfig, then plugin.DownloadPlugins). Argo keeps this configuration and the plugin clients
// in process-wide singletons, and resolves plugin-bin against the working directory, so Setup changes the
// working directory to dir and must be called once per process, before any other call here.
func Setup(dir string, plugins ...Plugin) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.Chdir(dir); err != nil {
		return fmt.Errorf("plugin host: %w", err)
	}
	lists := map[Kind][]entry{}
	for _, p := range plugins {
		bin, err := filepath.Abs(p.Binary)
		if err != nil {
			return err
		}
		if _, err := os.Stat(bin); err != nil {
			return fmt.Errorf("plugin %s: %w", p.Name, err)
		}
		lists[p.Kind] = append(lists[p.Kind], entry{Name: p.Name, Location: "file://" + bin, Args: p.Args})
	}
	data := map[string]string{}
	for kind, entries := range lists {
		b, err := json.Marshal(entries)
		if err != nil {
			return err
		}
		data[string(kind)] = string(b)
	}
	kube := fake.NewClientset(&corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: defaults.DefaultRolloutsConfigMapName, Namespace: defaults.Namespace()},
		Data:       data,
	})
	if _, err := config.InitializeConfig(kube, defaults.DefaultRolloutsConfigMapName); err != nil {
		return fmt.Errorf("argo rollouts config: %w", err)
	}
	if err := argoplugin.DownloadPlugins(argoplugin.FileDownloaderImpl{}, kube); err != nil {
		return fmt.Errorf("argo rollouts plugin download: %w", err)
	}
	return nil
}

// MetricProviderFor returns the provider the controller's metric provider factory (metricproviders.NewProvider)
// builds for a metric whose provider is a plugin: it starts the plugin process on first use and pings it on
// every use. Calling metricplugin.NewRpcPlugin directly avoids compiling every built-in provider.
func MetricProviderFor(m v1alpha1.Metric) (metric.Provider, error) {
	return metricplugin.NewRpcPlugin(m)
}

// MetricFor builds a minimal Metric that uses the named plugin, for calls that need only the plugin.
func MetricFor(name string, cfg json.RawMessage) v1alpha1.Metric {
	if cfg == nil {
		cfg = json.RawMessage(`{}`)
	}
	return v1alpha1.Metric{Name: "verify", Provider: v1alpha1.MetricProvider{Plugin: map[string]json.RawMessage{name: cfg}}}
}

// StepPlugin returns the controller's step plugin client for the named plugin (as its step resolver does).
func StepPlugin(name string) (steprpc.StepPlugin, error) {
	return stepclient.GetPlugin(name)
}

// Stop kills every plugin process started through Argo's clients (they are go-plugin managed clients).
func Stop() { goplugin.CleanupClients() }

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
