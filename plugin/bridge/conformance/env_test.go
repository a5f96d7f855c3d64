// Package conformance checks the built bridge against the real rollouts-cv engine, loading it exactly as the
// Argo Rollouts controller does (package host: Argo's config, downloader and plugin clients, go-plugin
// handshake, net/rpc). TestMain starts the sandbox (Prometheus and the synthetic app) and the engine from
// <repo>/dist/cli/main.js, which `npm run build` produces.
//
// Without dist/cli/main.js the tests are skipped, unless ROLLOUTS_CV_CONFORMANCE=required, when they fail.
// ROLLOUTS_CV_BRIDGE selects the bridge binary; otherwise dist/bridge/rollouts-cv-bridge-linux-<arch> is used
// when present, else the module is built with `go build`.
package conformance

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/rollouts-cv/rollouts-cv/plugin/bridge/host"
	"github.com/rollouts-cv/rollouts-cv/plugin/bridge/internal/testpki"
)

// Plugin names under which the bridge is registered; the -unreachable ones point at a port nobody serves.
const (
	verifyPlugin            = "rollouts-cv/verify"
	gatePlugin              = "rollouts-cv/gate"
	unreachableVerifyPlugin = "rollouts-cv/verify-unreachable"
	unreachableGatePlugin   = "rollouts-cv/gate-unreachable"
	tlsVerifyPlugin         = "rollouts-cv/verify-tls"           // mutual TLS to the TLS engine
	untrustedVerifyPlugin   = "rollouts-cv/verify-tls-untrusted" // TLS engine, but trusting another CA
	tokenlessVerifyPlugin   = "rollouts-cv/verify-tokenless"     // the engine, without its token
	wrongTokenVerifyPlugin  = "rollouts-cv/verify-wrong-token"   // the engine, with another token
	tokenlessGatePlugin     = "rollouts-cv/gate-tokenless"
)

// Pod template hashes of the synthetic app's groups.
const (
	stableHash    = "5tab1e1"
	healthyHash   = "c0ffee1"
	regressedHash = "badc0de" // 5x the stable error rate
)

type environment struct {
	dir         string
	cli         string
	prometheus  string
	app         string
	engineAddr  string
	unreachable string
	tlsAddr     string // a second engine serving mutual TLS
	tokenFile   string // the token the engine requires (--auth-token-file), as the chart's Secret holds it
	pki         testpki.PKI

	mu        sync.Mutex
	engine    *process
	tlsEngine *process
	sandbox   *process
}

var (
	env        *environment
	skipReason string
	setupErr   error
)

// need returns the environment, or skips or fails the test when it is not available.
func need(t *testing.T) *environment {
	t.Helper()
	if skipReason != "" {
		t.Skip(skipReason)
	}
	if setupErr != nil {
		t.Fatalf("conformance environment: %v", setupErr)
	}
	return env
}

func TestMain(m *testing.M) {
	flag.Parse()
	// Scenarios mostly wait for verification windows, so run them side by side whatever the CPU count.
	if p := flag.Lookup("test.parallel"); p != nil && p.Value.String() == p.DefValue {
		_ = p.Value.Set("16")
	}
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		panic(err)
	}
	cli := filepath.Join(root, "dist", "cli", "main.js")
	if _, err := os.Stat(cli); err != nil {
		if os.Getenv("ROLLOUTS_CV_CONFORMANCE") == "required" {
			setupErr = fmt.Errorf("%s is missing (run `npm run build`); ROLLOUTS_CV_CONFORMANCE=required", cli)
		} else {
			skipReason = fmt.Sprintf("%s is missing: run `npm run build` first (set ROLLOUTS_CV_CONFORMANCE=required to fail instead)", cli)
		}
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "rollouts-cv-conformance-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	env = &environment{dir: dir, cli: cli}
	defer env.stop()
	defer host.Stop()
	if setupErr = env.start(); setupErr != nil {
		fmt.Fprintf(os.Stderr, "conformance setup failed: %v\n", setupErr)
	}
	code := m.Run()
	if code != 0 {
		env.dumpLogs()
	}
	return code
}

func (e *environment) start() error {
	if _, err := exec.LookPath("node"); err != nil {
		return fmt.Errorf("node is needed to run the engine: %w", err)
	}
	bridge, err := host.BridgeBinary("..", e.dir, true)
	if err != nil {
		return err
	}
	if e.engineAddr, err = freeAddress(); err != nil {
		return err
	}
	if e.unreachable, err = freeAddress(); err != nil {
		return err
	}
	if e.tlsAddr, err = freeAddress(); err != nil {
		return err
	}
	if e.pki, err = testpki.New(e.dir); err != nil {
		return err
	}
	e.tokenFile = filepath.Join(e.dir, "engine-token")
	if err := os.WriteFile(e.tokenFile, []byte("c0nformance-token-0123456789abcdef\n"), 0o600); err != nil {
		return err
	}
	wrongTokenFile := filepath.Join(e.dir, "wrong-token")
	if err := os.WriteFile(wrongTokenFile, []byte("another-token-0123456789abcdef"), 0o600); err != nil {
		return err
	}
	if err := e.startSandbox(); err != nil {
		return err
	}
	if err := e.startEngine(); err != nil {
		return err
	}
	if err := e.startTLSEngine(); err != nil {
		return err
	}
	args := func(addr string) []string {
		return []string{"--engine-address", addr, "--engine-token-file", e.tokenFile, "--call-timeout", "20s", "--dial-timeout", "5s"}
	}
	// Nothing will ever answer there: a short dial timeout keeps that scenario quick.
	unreachableArgs := []string{"--engine-address", e.unreachable, "--dial-timeout", "1s"}
	tlsArgs := func(ca string) []string {
		return []string{"--engine-address", e.tlsAddr, "--dial-timeout", "2s",
			"--tls-ca", ca, "--tls-cert", e.pki.ClientCertFile, "--tls-key", e.pki.ClientKeyFile}
	}
	if err := host.Setup(filepath.Join(e.dir, "controller"),
		host.Plugin{Kind: host.MetricProvider, Name: verifyPlugin, Binary: bridge, Args: args(e.engineAddr)},
		host.Plugin{Kind: host.MetricProvider, Name: unreachableVerifyPlugin, Binary: bridge, Args: unreachableArgs},
		host.Plugin{Kind: host.Step, Name: gatePlugin, Binary: bridge, Args: args(e.engineAddr)},
		host.Plugin{Kind: host.Step, Name: unreachableGatePlugin, Binary: bridge, Args: unreachableArgs},
		host.Plugin{Kind: host.MetricProvider, Name: tlsVerifyPlugin, Binary: bridge, Args: tlsArgs(e.pki.CAFile)},
		host.Plugin{Kind: host.MetricProvider, Name: untrustedVerifyPlugin, Binary: bridge, Args: tlsArgs(e.pki.OtherCAFile)},
		host.Plugin{Kind: host.MetricProvider, Name: tokenlessVerifyPlugin, Binary: bridge, Args: []string{"--engine-address", e.engineAddr}},
		host.Plugin{Kind: host.Step, Name: tokenlessGatePlugin, Binary: bridge, Args: []string{"--engine-address", e.engineAddr}},
		host.Plugin{Kind: host.MetricProvider, Name: wrongTokenVerifyPlugin, Binary: bridge, Args: []string{"--engine-address", e.engineAddr, "--engine-token-file", wrongTokenFile}},
	); err != nil {
		return err
	}
	return e.startTraffic()
}

// startSandbox runs `main.js sandbox` and reads the one JSON line with the Prometheus and app URLs.
func (e *environment) startSandbox() error {
	p, stdout, err := startProcess(e.dir, "sandbox", true, "node", e.cli, "sandbox")
	if err != nil {
		return err
	}
	e.sandbox = p
	lines := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stdout)
		line, _ := r.ReadString('\n')
		lines <- line
		_, _ = io.Copy(p.logFile, r)
	}()
	select {
	case line := <-lines:
		var urls struct{ Prometheus, App string }
		if err := json.Unmarshal([]byte(line), &urls); err != nil || urls.Prometheus == "" || urls.App == "" {
			return fmt.Errorf("sandbox printed %q, want {\"prometheus\":...,\"app\":...} (log: %s)", line, p.logPath)
		}
		e.prometheus, e.app = urls.Prometheus, urls.App
		return nil
	case <-time.After(90 * time.Second):
		return fmt.Errorf("sandbox did not report its URLs within 90s (log: %s)", p.logPath)
	}
}

func (e *environment) startEngine() error {
	// As the chart runs it: every call but the health checks needs the token.
	p, _, err := startProcess(e.dir, "engine", false, "node", e.cli, "engine", "--listen", e.engineAddr, "--auth-token-file", e.tokenFile)
	if err != nil {
		return err
	}
	e.mu.Lock()
	e.engine = p
	e.mu.Unlock()
	return waitServing(e.engineAddr, insecure.NewCredentials(), p, 60*time.Second)
}

// startTLSEngine runs a second engine that requires client certificates signed by the test CA.
func (e *environment) startTLSEngine() error {
	p, _, err := startProcess(e.dir, "engine-tls", false, "node", e.cli, "engine", "--listen", e.tlsAddr,
		"--tls-cert", e.pki.ServerCertFile, "--tls-key", e.pki.ServerKeyFile, "--tls-client-ca", e.pki.CAFile)
	if err != nil {
		return err
	}
	e.mu.Lock()
	e.tlsEngine = p
	e.mu.Unlock()
	cert, err := tls.LoadX509KeyPair(e.pki.ClientCertFile, e.pki.ClientKeyFile)
	if err != nil {
		return err
	}
	creds := credentials.NewTLS(&tls.Config{RootCAs: e.pki.Pool, Certificates: []tls.Certificate{cert}, ServerName: "127.0.0.1"})
	return waitServing(e.tlsAddr, creds, p, 60*time.Second)
}

// restartEngine stops the engine (SIGTERM, as Kubernetes does) and starts a new one on the same address.
func (e *environment) restartEngine() error {
	e.mu.Lock()
	old := e.engine
	e.mu.Unlock()
	old.stop()
	return e.startEngine()
}

// startTraffic registers the stable, healthy and regressed groups and waits until Prometheus holds 15 s of
// history for each of their error series. Series appear with a group's first errors, and rates over a
// younger series are skewed, which would make verdicts at the start of the suite depend on timing.
func (e *environment) startTraffic() error {
	// 1000 requests per second per pod: well above the judge's least evidence for a ratio (200 requests per
	// group) in every step, so that a 5x error rate is conclusive within the window and a healthy 1% is not.
	for hash, errorRate := range map[string]float64{stableHash: 0.01, healthyHash: 0.01, regressedHash: 0.05} {
		body := fmt.Sprintf(`{"hash":%q,"pods":3,"rps":1000,"errorRate":%g,"latencyMs":50}`, hash, errorRate)
		resp, err := http.Post(e.app+"/groups", "application/json", strings.NewReader(body))
		if err != nil {
			return fmt.Errorf("register group %s: %w", hash, err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			return fmt.Errorf("register group %s: %s", hash, resp.Status)
		}
	}
	deadline := time.Now().Add(90 * time.Second)
	for _, hash := range []string{stableHash, healthyHash, regressedHash} {
		q := fmt.Sprintf(`min(count_over_time(http_requests_total{rollouts_pod_template_hash=%q,code=~"5.."}[30s])) >= 15`, hash)
		for !e.promHasData(q) {
			if time.Now().After(deadline) {
				return fmt.Errorf("prometheus has less than 15 s of error series for group %s after 90 s", hash)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	return nil
}

func (e *environment) promHasData(query string) bool {
	resp, err := http.Get(e.prometheus + "/api/v1/query?query=" + url.QueryEscape(query))
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var body struct {
		Data struct{ Result []json.RawMessage }
	}
	return json.NewDecoder(resp.Body).Decode(&body) == nil && len(body.Data.Result) > 0
}

func (e *environment) stop() {
	e.mu.Lock()
	engines := []*process{e.engine, e.tlsEngine}
	e.mu.Unlock()
	for _, p := range engines {
		if p != nil {
			p.stop()
		}
	}
	if e.sandbox != nil {
		e.sandbox.stop()
	}
}

// dumpLogs prints the end of each process log, to explain a failure.
func (e *environment) dumpLogs() {
	logs, _ := filepath.Glob(filepath.Join(e.dir, "*.log"))
	for _, path := range logs {
		b, _ := os.ReadFile(path)
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		fmt.Fprintf(os.Stderr, "--- last lines of %s\n%s\n", filepath.Base(path), strings.Join(lines[max(0, len(lines)-40):], "\n"))
	}
}

// process is a child started in its own process group, so that stopping it also stops what it started.
type process struct {
	cmd     *exec.Cmd
	logPath string
	logFile *os.File
	stdin   io.Closer
	done    chan struct{}
	once    sync.Once
}

var logSeq sync.Map

// startProcess starts name in dir with output in <dir>/<label>-N.log. With pipeStdout the caller reads
// stdout; with a stdin pipe kept open the child can treat its end as "parent gone".
func startProcess(dir, label string, pipeStdout bool, name string, args ...string) (*process, io.Reader, error) {
	n, _ := logSeq.LoadOrStore(label, new(int))
	*n.(*int)++
	logPath := filepath.Join(dir, fmt.Sprintf("%s-%d.log", label, *n.(*int)))
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Stderr = logFile
	var stdout io.Reader
	if pipeStdout {
		if stdout, err = cmd.StdoutPipe(); err != nil {
			return nil, nil, err
		}
	} else {
		cmd.Stdout = logFile
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("start %s: %w", label, err)
	}
	p := &process{cmd: cmd, logPath: logPath, logFile: logFile, stdin: stdin, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	return p, stdout, nil
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the process group, then SIGKILL if it is still there after 10 s.
func (p *process) stop() {
	p.once.Do(func() {
		pgid := -p.cmd.Process.Pid
		_ = syscall.Kill(pgid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
		}
		_ = syscall.Kill(pgid, syscall.SIGKILL)
		<-p.done
		p.stdin.Close()
		p.logFile.Close()
	})
}

// waitServing polls grpc.health.v1 until the engine reports SERVING.
func waitServing(addr string, creds credentials.TransportCredentials, p *process, timeout time.Duration) error {
	conn, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		return err
	}
	defer conn.Close()
	client := healthpb.NewHealthClient(conn)
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if p.exited() {
			return fmt.Errorf("engine exited before serving (log: %s)", p.logPath)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		resp, err := client.Check(ctx, &healthpb.HealthCheckRequest{})
		cancel()
		if err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return nil
		}
		last = errors.Join(err, fmt.Errorf("status %s", resp.GetStatus()))
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("engine at %s not SERVING after %s: %v (log: %s)", addr, timeout, last, p.logPath)
}

// freeAddress returns a loopback address that was free a moment ago.
func freeAddress() (string, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer lis.Close()
	return lis.Addr().String(), nil
}

// compactJSON is for messages.
func compactJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(bytes.TrimSpace(b))
}
