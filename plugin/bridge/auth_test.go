package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/argoproj/argo-rollouts/utils/plugin/types"
)

const testToken = "3f9a1c0d5e7b2a4c6e8f0a1b3c5d7e9f"

func writeToken(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestEngineTokenIsSentAsBearerCredential(t *testing.T) {
	addr := startFake(t, &fakeEngine{}, nil, requireToken(testToken))
	// a Secret written from a file ends in a newline, which is not part of the token
	m, s := newTestPlugins(t, "--engine-address", addr, "--engine-token-file", writeToken(t, testToken+"\n"))
	run, metric := testRun()
	if got := m.Run(run, metric); got.Phase != v1alpha1.AnalysisPhaseRunning {
		t.Errorf("Run = %+v", got)
	}
	if _, err := s.Run(testRollout(), &types.RpcStepContext{}); err.HasError() {
		t.Errorf("step Run = %v", err)
	}
}

func TestRefusedTokenIsErrorNamingTheCause(t *testing.T) {
	addr := startFake(t, &fakeEngine{}, nil, requireToken(testToken))
	run, metric := testRun()
	for name, argv := range map[string][]string{
		"no token":    {},
		"wrong token": {"--engine-token-file", writeToken(t, "another-token-of-the-same-size-x")},
	} {
		m, s := newTestPlugins(t, append([]string{"--engine-address", addr}, argv...)...)
		got := m.Run(run, metric)
		if got.Phase != v1alpha1.AnalysisPhaseError || got.FinishedAt == nil || !strings.Contains(got.Message, "refused the bridge's credentials") || !strings.Contains(got.Message, "--engine-token-file") {
			t.Errorf("%s: Run = %+v, want an Error naming the token", name, got)
		}
		if _, err := s.Run(testRollout(), &types.RpcStepContext{}); !strings.Contains(err.ErrorString, "refused the bridge's credentials") {
			t.Errorf("%s: step Run = %v, want an RpcError naming the token", name, err)
		}
		if strings.Contains(got.Message, "another-token") {
			t.Errorf("%s: the message shows the token: %s", name, got.Message)
		}
	}
}

func TestUnusableTokenFileIsAnArgsError(t *testing.T) {
	for name, path := range map[string]string{
		"missing": filepath.Join(t.TempDir(), "absent"),
		"empty":   writeToken(t, "\n"),
	} {
		m, _ := newTestPlugins(t, "--engine-address", "127.0.0.1:1", "--engine-token-file", path)
		if err := m.InitPlugin(); !strings.Contains(err.ErrorString, "--engine-token-file") {
			t.Errorf("%s: InitPlugin = %v", name, err)
		}
	}
}
