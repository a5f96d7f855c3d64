package host

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// BridgeBinary returns the bridge binary to load: $ROLLOUTS_CV_BRIDGE if set; else, when preferDist,
// <repo>/dist/bridge/rollouts-cv-bridge-linux-<arch> if it exists (what build.sh produced and what ships);
// else a fresh `go build` of the module in moduleDir into outDir.
func BridgeBinary(moduleDir, outDir string, preferDist bool) (string, error) {
	if p := os.Getenv("ROLLOUTS_CV_BRIDGE"); p != "" {
		return filepath.Abs(p)
	}
	moduleDir, err := filepath.Abs(moduleDir)
	if err != nil {
		return "", err
	}
	if preferDist {
		dist := filepath.Join(moduleDir, "..", "..", "dist", "bridge", "rollouts-cv-bridge-linux-"+runtime.GOARCH)
		if _, err := os.Stat(dist); err == nil && runtime.GOOS == "linux" {
			return dist, nil
		}
	}
	out := filepath.Join(outDir, "rollouts-cv-bridge")
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, ".")
	cmd.Dir = moduleDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build of the bridge: %w\n%s", err, b)
	}
	return out, nil
}
