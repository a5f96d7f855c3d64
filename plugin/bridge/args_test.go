package main

import (
	"bytes"
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/argoproj/argo-rollouts/utils/plugin/types"

	"github.com/rollouts-cv/rollouts-cv/plugin/bridge/internal/testpki"
)

func TestParseArgs(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		argv    []string
		wantErr string
	}{
		{argv: []string{"--engine-address", "engine.rollouts-cv:9090"}},
		{argv: []string{"--engine-address=127.0.0.1:1", "--call-timeout=5s", "--tls-ca", ca}},
		{argv: nil, wantErr: "--engine-address is required"},
		{argv: []string{"--engine-address", "engine"}, wantErr: "must be host:port"},
		{argv: []string{"--engine-address", "e:1", "--tls-cert", ca}, wantErr: "--tls-cert and --tls-key must be given together"},
		{argv: []string{"--engine-address", "e:1", "--tls-ca", filepath.Join(dir, "missing.pem")}, wantErr: "--tls-ca"},
		{argv: []string{"--engine-address", "e:1", "--call-timeout", "0s"}, wantErr: "--call-timeout must be positive"},
		{argv: []string{"--engine-address", "e:1", "--bogus"}, wantErr: "flag provided but not defined: -bogus"},
		{argv: []string{"--engine-address", "e:1", "extra"}, wantErr: `unexpected argument "extra"`},
	} {
		_, err := parseArgs(tc.argv)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%q: %v", tc.argv, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%q: error %v, want %q", tc.argv, err, tc.wantErr)
		}
	}
}

func TestInvalidArgsFailInitPluginAndEveryCall(t *testing.T) {
	m, s := newTestPlugins(t, "--engine-adress", "127.0.0.1:1")
	if err := m.InitPlugin(); !strings.Contains(err.ErrorString, "-engine-adress") {
		t.Errorf("metric InitPlugin = %v", err)
	}
	if err := s.InitPlugin(); !strings.Contains(err.ErrorString, "-engine-adress") {
		t.Errorf("step InitPlugin = %v", err)
	}
	if got := m.Run(testRun()); got.Phase != v1alpha1.AnalysisPhaseError || !strings.Contains(got.Message, "misconfigured") {
		t.Errorf("Run = %+v", got)
	}
	if _, err := s.Run(testRollout(), &types.RpcStepContext{}); !strings.Contains(err.ErrorString, "misconfigured") {
		t.Errorf("step Run = %v", err)
	}
}

func TestRunWithoutCookieOrWithVersion(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"--engine-address", "e:1"}, "", &out, &errOut); code == 0 || !strings.Contains(errOut.String(), cookieKey) {
		t.Errorf("without cookie: exit %d, stderr %q", code, errOut.String())
	}
	errOut.Reset()
	if code := run(nil, "traffic", &out, &errOut); code == 0 || !strings.Contains(errOut.String(), `"traffic"`) {
		t.Errorf("unknown cookie: exit %d, stderr %q", code, errOut.String())
	}
	out.Reset()
	version = "1.2.3"
	if code := run([]string{"--version"}, "", &out, &errOut); code != 0 || !strings.Contains(out.String(), "1.2.3") || !strings.Contains(out.String(), argoRolloutsVersion) {
		t.Errorf("--version: exit %d, stdout %q", code, out.String())
	}
	out.Reset()
	if code := run([]string{"-h"}, "", &out, &errOut); code != 0 || !strings.Contains(out.String(), "--engine-address") {
		t.Errorf("-h: exit %d, stdout %q", code, out.String())
	}
}

func newPKI(t *testing.T) testpki.PKI {
	t.Helper()
	p, err := testpki.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMutualTLS(t *testing.T) {
	p := newPKI(t)
	f := &fakeEngine{}
	addr := startFake(t, f, &tls.Config{
		Certificates: []tls.Certificate{p.ServerCert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    p.Pool,
	})
	run, metric := testRun()

	m, _ := newTestPlugins(t, "--engine-address", addr, "--tls-ca", p.CAFile, "--tls-cert", p.ClientCertFile, "--tls-key", p.ClientKeyFile)
	if got := m.Run(run, metric); got.Phase != v1alpha1.AnalysisPhaseRunning {
		t.Errorf("mTLS Run = %+v", got)
	}
	m, _ = newTestPlugins(t, "--engine-address", addr, "--tls-ca", p.CAFile, "--tls-cert", p.ClientCertFile, "--tls-key", p.ClientKeyFile,
		"--tls-server-name", "engine.rollouts-cv.svc")
	if got := m.Run(run, metric); got.Phase != v1alpha1.AnalysisPhaseRunning {
		t.Errorf("mTLS Run with --tls-server-name = %+v", got)
	}

	for name, argv := range map[string][]string{
		"untrusted server": {"--tls-ca", p.OtherCAFile, "--tls-cert", p.ClientCertFile, "--tls-key", p.ClientKeyFile},
		"no client cert":   {"--tls-ca", p.CAFile},
		"wrong name":       {"--tls-ca", p.CAFile, "--tls-cert", p.ClientCertFile, "--tls-key", p.ClientKeyFile, "--tls-server-name", "other"},
		"plaintext":        {},
	} {
		m, _ := newTestPlugins(t, append([]string{"--engine-address", addr, "--dial-timeout", "500ms"}, argv...)...)
		if got := m.Run(run, metric); got.Phase != v1alpha1.AnalysisPhaseError || !strings.Contains(got.Message, addr) {
			t.Errorf("%s: Run = %+v, want Error", name, got)
		}
	}
}

func TestUnreadableTLSMaterialIsAnArgsError(t *testing.T) {
	p := newPKI(t)
	m, _ := newTestPlugins(t, "--engine-address", "127.0.0.1:1", "--tls-ca", p.ClientKeyFile)
	if err := m.InitPlugin(); !strings.Contains(err.ErrorString, "--tls-ca") {
		t.Errorf("InitPlugin = %v", err)
	}
	m, _ = newTestPlugins(t, "--engine-address", "127.0.0.1:1", "--tls-cert", p.CAFile, "--tls-key", p.ClientKeyFile)
	if err := m.InitPlugin(); !strings.Contains(err.ErrorString, "--tls-cert") {
		t.Errorf("InitPlugin = %v", err)
	}
}
