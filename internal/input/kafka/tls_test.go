package kafka

import (
	"context"
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
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/vigil-project/vigil/internal/source"
)

// selfSigned returns a broker TLS config for 127.0.0.1 and a PEM file of
// its certificate.
func selfSigned(t *testing.T) (*tls.Config, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "vigil test broker"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, file
}

// A broker behind TLS is read when its CA file is given; without it, Run
// stops with an error about the certificate.
func TestTLSWithCAFile(t *testing.T) {
	serverCfg, caFile := selfSigned(t)
	c := newCluster(t, kfake.TLS(serverCfg))
	pemBytes, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemBytes)
	produce(t, c, 0, 40, nil, kgo.DialTLSConfig(&tls.Config{RootCAs: pool}))

	opts := testOptions(c, "g")
	opts.CAFile = caFile
	tr := newTracker(t)
	r := start(t, "tls", opts, tr.ackAll)
	waitFor(t, 20*time.Second, "40 records acknowledged and committed", func() bool {
		return tr.numAcked() == 40 && allCommitted(c, "g")()
	})
	if err := r.wait(t); err != nil {
		t.Errorf("Run: %v", err)
	}

	opts.CAFile = ""
	opts.TLS = true
	in, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = in.Run(ctx, make(chan source.Batch))
	if err == nil || ctx.Err() != nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("Run trusting only the system's roots: %v, want a certificate error before the deadline", err)
	}
	t.Logf("untrusted: %v", err)
}
