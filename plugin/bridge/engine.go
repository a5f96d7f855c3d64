package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/rollouts-cv/rollouts-cv/plugin/bridge/internal/rpcpb"
)

// engine is the one connection to the rollouts-cv engine shared by every call. The controller runs a single
// bridge process per plugin name and calls it concurrently from all AnalysisRuns and Rollouts; a
// grpc.ClientConn multiplexes those calls and reconnects by itself after an engine restart.
type engine struct {
	opts    options
	argsErr error // invalid arguments: every call fails with this instead of reaching the engine
	log     hclog.Logger

	once    sync.Once
	conn    *grpc.ClientConn
	connErr error
}

// newEngine also loads the TLS material and the token, so that an unreadable certificate or token file is reported
// like any other bad argument, from InitPlugin on.
func newEngine(opts options, argsErr error, log hclog.Logger) *engine {
	e := &engine{opts: opts, argsErr: argsErr, log: log}
	if argsErr == nil {
		if _, err := e.client(); err != nil {
			e.argsErr = err
		}
	}
	return e
}

// client creates the connection on first use. grpc.NewClient does not dial, so this never blocks, and the
// bridge can start (and pass the controller's InitPlugin) before the engine is up.
func (e *engine) client() (*grpc.ClientConn, error) {
	e.once.Do(func() {
		creds, err := e.credentials()
		if err != nil {
			e.connErr = err
			return
		}
		dialOpts := []grpc.DialOption{
			grpc.WithTransportCredentials(creds),
			// Short reconnect backoff: after an engine restart the next call should find it within a couple of
			// seconds, not after gRPC's default backoff of up to two minutes.
			grpc.WithConnectParams(grpc.ConnectParams{
				Backoff:           backoff.Config{BaseDelay: 250 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 2 * time.Second},
				MinConnectTimeout: e.opts.dialTimeout,
			}),
		}
		if e.opts.tokenFile != "" {
			token, err := readToken(e.opts.tokenFile)
			if err != nil {
				e.connErr = err
				return
			}
			dialOpts = append(dialOpts, grpc.WithPerRPCCredentials(token))
		}
		e.conn, e.connErr = grpc.NewClient("passthrough:///"+e.opts.engineAddress, dialOpts...)
	})
	return e.conn, e.connErr
}

// invoke runs one engine call under the per-call deadline. Every failure comes back as an error naming the
// engine address, so callers can turn it into a Measurement Error or an RpcError, never into a success.
func (e *engine) invoke(method string, call func(ctx context.Context, cc grpc.ClientConnInterface) error) error {
	if e.argsErr != nil {
		return fmt.Errorf("rollouts-cv-bridge is misconfigured (check the plugin args in argo-rollouts-config): %w", e.argsErr)
	}
	conn, err := e.client()
	if err != nil {
		return fmt.Errorf("rollouts-cv-bridge: cannot set up the connection to engine %s: %w", e.opts.engineAddress, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), e.opts.callTimeout)
	defer cancel()
	waitReady(ctx, conn, e.opts.dialTimeout)
	if err := call(ctx, conn); err != nil {
		if status.Code(err) == codes.Unauthenticated {
			return fmt.Errorf("rollouts-cv engine %s refused the bridge's credentials on %s (%s): --engine-token-file must hold the token of the engine's --auth-token-file",
				e.opts.engineAddress, method, status.Convert(err).Message())
		}
		return fmt.Errorf("rollouts-cv engine %s: %s failed: %w", e.opts.engineAddress, method, err)
	}
	return nil
}

// waitReady gives a connecting (or reconnecting) channel up to dialTimeout to become ready. The call that
// follows is fail-fast, so when the engine stays unreachable it fails with gRPC's own description of the last
// dial error rather than with a bare deadline.
func waitReady(ctx context.Context, conn *grpc.ClientConn, dialTimeout time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	conn.Connect()
	for {
		state := conn.GetState()
		if state == connectivity.Ready || state == connectivity.Shutdown {
			return
		}
		if !conn.WaitForStateChange(ctx, state) {
			return
		}
	}
}

// initPlugin asks the engine to acknowledge this bridge, without waiting for the answer. See metricPlugin.InitPlugin
// for why an unreachable engine must not fail InitPlugin.
func (e *engine) initPlugin(pluginName string, client func(grpc.ClientConnInterface) initPluginClient) {
	if e.argsErr != nil {
		return
	}
	go func() {
		var resp *rpcpb.PluginError
		err := e.invoke("InitPlugin", func(ctx context.Context, cc grpc.ClientConnInterface) (err error) {
			resp, err = client(cc).InitPlugin(ctx, &rpcpb.InitPluginRequest{PluginName: pluginName, BridgeVersion: version})
			return err
		})
		switch {
		case err != nil:
			e.log.Warn("engine not reachable yet; calls will be retried by the controller", "plugin", pluginName, "error", err)
		case resp.GetErrorString() != "":
			e.log.Error("engine rejected the bridge", "plugin", pluginName, "error", resp.GetErrorString())
		default:
			e.log.Info("connected to the rollouts-cv engine", "plugin", pluginName, "engine", e.opts.engineAddress)
		}
	}()
}

// initPluginClient is the InitPlugin method both generated clients share.
type initPluginClient interface {
	InitPlugin(ctx context.Context, in *rpcpb.InitPluginRequest, opts ...grpc.CallOption) (*rpcpb.PluginError, error)
}

func (e *engine) credentials() (credentials.TransportCredentials, error) {
	o := e.opts
	if !o.useTLS() {
		return insecure.NewCredentials(), nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: o.tlsServerName}
	if cfg.ServerName == "" {
		cfg.ServerName, _, _ = net.SplitHostPort(o.engineAddress)
	}
	if o.tlsCA != "" {
		pem, err := os.ReadFile(o.tlsCA)
		if err != nil {
			return nil, fmt.Errorf("--tls-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--tls-ca %s: no PEM certificate found", o.tlsCA)
		}
		cfg.RootCAs = pool
	}
	if o.tlsCert != "" {
		if _, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey); err != nil {
			return nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		// Read the key pair at each handshake so that a rotated certificate (e.g. cert-manager renewing a
		// mounted Secret) is picked up without restarting the controller.
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			cert, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey)
			return &cert, err
		}
	}
	return credentials.NewTLS(cfg), nil
}
