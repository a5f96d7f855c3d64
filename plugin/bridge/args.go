package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"
)

// options are the bridge's command-line arguments. The controller passes the `args` list of the plugin's entry
// in the argo-rollouts-config ConfigMap as the process's argv (exec.Command(path, args...)), so each flag and
// its value are separate list items, or joined as --flag=value.
type options struct {
	engineAddress string
	pluginName    string
	tls           bool
	tlsCA         string
	tlsCert       string
	tlsKey        string
	tlsServerName string
	tokenFile     string
	callTimeout   time.Duration
	dialTimeout   time.Duration
	version       bool
}

// useTLS reports whether any TLS flag was given; without one the bridge talks plaintext (e.g. to an engine on
// the same node or behind a mesh sidecar).
func (o options) useTLS() bool {
	return o.tls || o.tlsCA != "" || o.tlsCert != "" || o.tlsKey != "" || o.tlsServerName != ""
}

func newFlagSet(o *options, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("rollouts-cv-bridge", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(out, "usage: rollouts-cv-bridge --engine-address host:port [flags]\n\n"+
			"Argo Rollouts metric-provider and step plugin forwarding every call to the rollouts-cv engine.\n"+
			"Started by the Argo Rollouts controller; the flags come from the plugin's args in argo-rollouts-config.\n\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&o.engineAddress, "engine-address", "", "host:port of the rollouts-cv engine gRPC service (required)")
	fs.StringVar(&o.pluginName, "plugin-name", "", "name the plugin is registered under (default rollouts-cv/verify or rollouts-cv/gate by role)")
	fs.BoolVar(&o.tls, "tls", false, "use TLS with the system roots (implied by any other --tls-* flag)")
	fs.StringVar(&o.tlsCA, "tls-ca", "", "PEM file of the CA that signed the engine's certificate")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "PEM client certificate for mutual TLS (needs --tls-key)")
	fs.StringVar(&o.tlsKey, "tls-key", "", "PEM private key of --tls-cert")
	fs.StringVar(&o.tlsServerName, "tls-server-name", "", "name to verify the engine's certificate against (default: host of --engine-address)")
	fs.StringVar(&o.tokenFile, "engine-token-file", "", "file holding the token the engine requires (its --auth-token-file), sent as a bearer credential")
	fs.DurationVar(&o.callTimeout, "call-timeout", 30*time.Second, "deadline of each call to the engine")
	fs.DurationVar(&o.dialTimeout, "dial-timeout", 5*time.Second, "how long a call waits for a connection to the engine before failing")
	fs.BoolVar(&o.version, "version", false, "print the bridge version and exit")
	return fs
}

// parseArgs parses and validates argv (without the program name). It checks everything that can be checked
// without the engine, so that a misconfigured plugin entry is reported with the flag at fault. Problems are
// returned, not printed: under the controller they end up in every call's error message.
func parseArgs(argv []string) (options, error) {
	var o options
	fs := newFlagSet(&o, io.Discard)
	if err := fs.Parse(argv); err != nil {
		return o, err
	}
	if o.version {
		return o, nil
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q (flags are --name value or --name=value)", fs.Arg(0))
	}
	var errs []error
	if o.engineAddress == "" {
		errs = append(errs, errors.New("--engine-address is required (host:port of the rollouts-cv engine)"))
	} else if _, port, err := net.SplitHostPort(o.engineAddress); err != nil || port == "" {
		errs = append(errs, fmt.Errorf("--engine-address %q must be host:port", o.engineAddress))
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		errs = append(errs, errors.New("--tls-cert and --tls-key must be given together"))
	}
	for _, f := range []struct{ name, path string }{{"--tls-ca", o.tlsCA}, {"--tls-cert", o.tlsCert}, {"--tls-key", o.tlsKey}, {"--engine-token-file", o.tokenFile}} {
		if f.path == "" {
			continue
		}
		if _, err := os.Stat(f.path); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.name, err))
		}
	}
	if o.callTimeout <= 0 {
		errs = append(errs, fmt.Errorf("--call-timeout must be positive, got %s", o.callTimeout))
	}
	if o.dialTimeout <= 0 {
		errs = append(errs, fmt.Errorf("--dial-timeout must be positive, got %s", o.dialTimeout))
	}
	if o.pluginName != "" && !strings.Contains(o.pluginName, "/") {
		errs = append(errs, fmt.Errorf("--plugin-name %q must be <org>/<name>", o.pluginName))
	}
	return o, joinErrors(errs)
}

// joinErrors joins on one line, because the result becomes a Measurement or step message.
func joinErrors(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, len(errs))
	for i, err := range errs {
		msgs[i] = err.Error()
	}
	return errors.New(strings.Join(msgs, "; "))
}
