package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rollouts-cv/rollouts-cv/plugin/bridge/host"
)

// TestCLI runs the built plugin-host as `npm run demo` does, against an engine address nobody serves, and
// checks the output contract: progress on stderr, the result as the last stdout line, the exit status.
func TestCLI(t *testing.T) {
	dir := t.TempDir()
	bridge, err := host.BridgeBinary(filepath.Join("..", ".."), dir, false)
	if err != nil {
		t.Fatal(err)
	}
	tool := filepath.Join(dir, "plugin-host")
	if out, err := exec.Command("go", "build", "-o", tool, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close()
	write := func(name, body string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	metricFile := write("metric.yaml", "name: verify\nprovider:\n  plugin:\n    rollouts-cv/verify: {duration: 20s}\n")
	configFile := write("config.json", `{"verify":{}}`)
	bridgeArgs := "--engine-address " + addr + " --dial-timeout 200ms"

	run := func(args ...string) (last map[string]any, stderr string, code int) {
		cmd := exec.Command(tool, args...)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
			t.Fatalf("%v: last stdout line %q is not JSON (stderr: %s)", args, lines[len(lines)-1], errOut.String())
		}
		return last, errOut.String(), code
	}

	m, stderr, code := run("metric", "--bridge", bridge, "--args", bridgeArgs, "--metric", metricFile)
	if code != 0 || m["phase"] != "Error" || !strings.Contains(m["message"].(string), addr) || !strings.Contains(stderr, `"method":"Run"`) {
		t.Errorf("metric: exit %d, result %v, stderr %s", code, m, stderr)
	}
	s, stderr, code := run("step", "--bridge", bridge, "--args", bridgeArgs, "--config", configFile, "--max-rpc-errors", "1")
	if code != 2 || s["phase"] != "Error" || !strings.Contains(stderr, `"rpcError"`) {
		t.Errorf("step: exit %d, result %v, stderr %s", code, s, stderr)
	}
}
