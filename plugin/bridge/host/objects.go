package host

import (
	"fmt"
	"os"

	"sigs.k8s.io/yaml"
)

// ReadObject reads a Kubernetes object (or any value) written as JSON or YAML into v.
func ReadObject(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
