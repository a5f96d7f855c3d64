// Package testpki makes throwaway certificates for tests: a CA, a server certificate for 127.0.0.1 and
// engine.rollouts-cv.svc, a client certificate, and an unrelated CA, written as PEM files.
package testpki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// PKI holds the PEM file paths and, for in-process servers, the server key pair and CA pool.
type PKI struct {
	CAFile, OtherCAFile           string
	ServerCertFile, ServerKeyFile string
	ClientCertFile, ClientKeyFile string
	ServerCert                    tls.Certificate
	Pool                          *x509.CertPool
}

// New writes a fresh PKI into dir.
func New(dir string) (PKI, error) {
	var p PKI
	ca := func(c *x509.Certificate) {
		c.IsCA, c.BasicConstraintsValid, c.KeyUsage = true, true, x509.KeyUsageCertSign
	}
	caCert, caKey, caPEM, _, err := newCert("test CA", nil, nil, ca)
	if err != nil {
		return p, err
	}
	_, _, otherPEM, _, err := newCert("other CA", nil, nil, ca)
	if err != nil {
		return p, err
	}
	_, _, srvPEM, srvKeyPEM, err := newCert("engine", caCert, caKey, func(c *x509.Certificate) {
		c.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
		c.DNSNames = []string{"engine.rollouts-cv.svc"}
		c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	})
	if err != nil {
		return p, err
	}
	_, _, cliPEM, cliKeyPEM, err := newCert("bridge", caCert, caKey, func(c *x509.Certificate) {
		c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	})
	if err != nil {
		return p, err
	}
	if p.ServerCert, err = tls.X509KeyPair(srvPEM, srvKeyPEM); err != nil {
		return p, err
	}
	p.Pool = x509.NewCertPool()
	p.Pool.AddCert(caCert)
	for _, f := range []struct {
		path *string
		name string
		data []byte
	}{
		{&p.CAFile, "ca.pem", caPEM}, {&p.OtherCAFile, "other-ca.pem", otherPEM},
		{&p.ServerCertFile, "server.pem", srvPEM}, {&p.ServerKeyFile, "server-key.pem", srvKeyPEM},
		{&p.ClientCertFile, "client.pem", cliPEM}, {&p.ClientKeyFile, "client-key.pem", cliKeyPEM},
	} {
		*f.path = filepath.Join(dir, f.name)
		if err := os.WriteFile(*f.path, f.data, 0o600); err != nil {
			return p, err
		}
	}
	return p, nil
}

// newCert signs a certificate for cn with parent (self-signed when nil); it returns the certificate, its
// key, and both as PEM.
func newCert(cn string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, edit func(*x509.Certificate)) (*x509.Certificate, *ecdsa.PrivateKey, []byte, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, nil, nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	edit(tmpl)
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return cert, key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), nil
}
