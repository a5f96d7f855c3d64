// Package monitoring keeps the prometheus-operator API types in this module's requirements (`go mod tidy` would
// drop them otherwise): build-components.sh runs controller-gen on their import path from this module.
package monitoring

import _ "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
