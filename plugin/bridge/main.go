// Command rollouts-cv-bridge is the Argo Rollouts plugin of rollouts-cv. The controller starts it as a
// hashicorp go-plugin child process (net/rpc with gob) and it forwards every plugin call over gRPC to the
// rollouts-cv engine, where all the logic lives. One binary serves both plugin kinds:
//
//   - metric provider, registered under metricProviderPlugins (e.g. rollouts-cv/verify);
//   - step plugin, registered under stepPlugins (e.g. rollouts-cv/gate).
//
// go-plugin tells them apart with the handshake cookie it puts in the environment
// (ARGO_ROLLOUTS_RPC_PLUGIN=metricprovider or step). The plugin's args in argo-rollouts-config become the
// flags; see `rollouts-cv-bridge -h`.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	metricrpc "github.com/argoproj/argo-rollouts/metricproviders/plugin/rpc"
	steprpc "github.com/argoproj/argo-rollouts/rollout/steps/plugin/rpc"
	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
)

// Set with -ldflags "-X main.version=... -X main.argoRolloutsVersion=..." by build.sh.
var (
	version             = "dev"
	argoRolloutsVersion = "v1.10.1"
)

// The handshake the Argo Rollouts controller uses (metricproviders/plugin/client and
// rollout/steps/plugin/client); the cookie value selects the role.
const (
	cookieKey         = "ARGO_ROLLOUTS_RPC_PLUGIN"
	cookieMetric      = "metricprovider"
	cookieStep        = "step"
	protocolVersion   = 1
	defaultMetricName = "rollouts-cv/verify"
	defaultStepName   = "rollouts-cv/gate"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv(cookieKey), os.Stdout, os.Stderr))
}

func run(argv []string, cookie string, stdout, stderr io.Writer) int {
	opts, argsErr := parseArgs(argv)
	switch {
	case errors.Is(argsErr, flag.ErrHelp):
		newFlagSet(&options{}, stdout).Usage()
		return 0
	case opts.version:
		fmt.Fprintf(stdout, "rollouts-cv-bridge %s (Argo Rollouts %s plugin RPC)\n", version, argoRolloutsVersion)
		return 0
	}

	if cookie != cookieMetric && cookie != cookieStep {
		fmt.Fprintf(stderr, "rollouts-cv-bridge is an Argo Rollouts plugin and is started by the Argo Rollouts controller,\n"+
			"which sets %s=%s or =%s. Register it in the argo-rollouts-config ConfigMap instead of running it\n"+
			"directly (got %s=%q). Run it with --version or -h for information.\n", cookieKey, cookieMetric, cookieStep, cookieKey, cookie)
		return 1
	}

	// JSON lines on stderr: go-plugin relays them into the controller's log with their level and fields.
	log := hclog.New(&hclog.LoggerOptions{Name: "rollouts-cv-bridge", Output: stderr, JSONFormat: true, Level: hclog.Info})
	if argsErr != nil {
		// Keep serving: the controller then shows this message on every measurement or step that uses the
		// plugin, instead of a bare "plugin exited" in its own log.
		log.Error("invalid arguments", "error", argsErr)
	}
	eng := newEngine(opts, argsErr, log)

	var plugins map[string]goplugin.Plugin
	if cookie == cookieMetric {
		name := nonEmpty(opts.pluginName, defaultMetricName)
		plugins = map[string]goplugin.Plugin{
			"RpcMetricProviderPlugin": &metricrpc.RpcMetricProviderPlugin{Impl: &metricPlugin{name: name, engine: eng, log: log}},
		}
	} else {
		name := nonEmpty(opts.pluginName, defaultStepName)
		plugins = map[string]goplugin.Plugin{
			"RpcStepPlugin": &steprpc.RpcStepPlugin{Impl: &stepPlugin{name: name, engine: eng, log: log}},
		}
	}
	log.Info("serving", "role", cookie, "version", version, "engine", opts.engineAddress, "tls", opts.useTLS(), "token", opts.tokenFile != "")
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig: goplugin.HandshakeConfig{ProtocolVersion: protocolVersion, MagicCookieKey: cookieKey, MagicCookieValue: cookie},
		Plugins:         plugins,
		Logger:          log,
	})
	return 0
}

func nonEmpty(s, fallback string) string {
	if s != "" {
		return s
	}
	return fallback
}
