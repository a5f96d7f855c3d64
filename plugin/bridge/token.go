package main

import (
	"context"
	"fmt"
	"os"
	"strings"
)

// bearerToken is the engine's token (--engine-token-file), sent with every call as `authorization: Bearer
// <token>` for an engine started with --auth-token-file. It is read once, with the other arguments, and never
// appears in a log line or an error.
type bearerToken string

func readToken(path string) (bearerToken, error) {
	content, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("--engine-token-file: %w", err)
	}
	// A Secret written from a file often ends in a newline, which is not part of the token.
	token := strings.TrimSpace(string(content))
	if token == "" {
		return "", fmt.Errorf("--engine-token-file %s is empty", path)
	}
	return bearerToken(token), nil
}

// GetRequestMetadata implements credentials.PerRPCCredentials.
func (t bearerToken) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(t)}, nil
}

// RequireTransportSecurity is false: inside the cluster the token also goes over plaintext (with
// engine.tls.enabled, over TLS).
func (bearerToken) RequireTransportSecurity() bool { return false }
