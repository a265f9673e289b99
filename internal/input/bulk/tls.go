package bulk

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"time"
)

// ServeTLS serves h over TLS on ln until ctx is done, then shuts the server
// down, giving requests in flight up to five seconds, and returns nil. cfg
// must hold a certificate. It is meant for tests and standalone use; `vigil
// serve` mounts Handler on its own server.
func ServeTLS(ctx context.Context, ln net.Listener, h http.Handler, cfg *tls.Config) error {
	if cfg == nil || (len(cfg.Certificates) == 0 && cfg.GetCertificate == nil) {
		ln.Close()
		return errors.New("serve TLS: the TLS configuration has no certificate")
	}
	srv := &http.Server{Handler: h, TLSConfig: cfg, ReadHeaderTimeout: 30 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.ServeTLS(ln, "", "") }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	<-served // http.ErrServerClosed
	return nil
}
