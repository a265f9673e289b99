package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"

	"github.com/vigil-project/vigil/internal/httpauth"
)

// listenerAuth is the authentication of the HTTP listener hc describes. A
// listener reachable from other machines must require credentials, unless
// allow_unauthenticated says otherwise; credentials it receives without TLS
// are warned about.
func listenerAuth(ctx context.Context, hc httpConfig, log *slog.Logger) (httpauth.Auth, error) {
	keys, problems := hc.apiKeys()
	if len(problems) > 0 {
		return httpauth.Auth{}, errors.New(strings.Join(problems, "\n"))
	}
	auth := httpauth.Auth{APIKeys: keys, BearerToken: hc.BearerToken, Username: hc.Username, Password: hc.Password, Logger: log}
	if hc.Listen == "" || loopback(ctx, hc.Listen) {
		return auth, nil
	}
	switch {
	case auth.Enabled() && hc.TLSCert == "":
		log.Warn("credentials travel in clear text: the listener is reachable from other machines without TLS; set tls_cert and tls_key under [http]",
			"listen", hc.Listen)
	case !auth.Enabled() && hc.AllowUnauthenticated:
		log.Warn("the listener is reachable from other machines and requires no credentials (allow_unauthenticated = true): anyone who reaches it can send events and read /metrics",
			"listen", hc.Listen)
	case !auth.Enabled():
		return auth, fmt.Errorf("http: listen = %q is reachable from other machines and no credentials are set: "+
			`set api_keys = ["id:key"] (or bearer_token, or username and password) under [http], `+
			`listen on a loopback address (127.0.0.1:9200), or, to accept anyone on purpose, set allow_unauthenticated = true under [http]`,
			hc.Listen)
	}
	return auth, nil
}

// loopback reports whether a listen address ("host:port") accepts
// connections from this machine only: 127.0.0.0/8, ::1, or a name that
// resolves to loopback addresses only (localhost). An empty host, 0.0.0.0
// and :: listen on every interface.
func loopback(ctx context.Context, listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil || host == "" {
		return false
	}
	if i := strings.IndexByte(host, '%'); i >= 0 {
		host = host[:i] // an IPv6 zone
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback()
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil || len(addrs) == 0 {
		return false
	}
	for _, a := range addrs {
		if !a.IP.IsLoopback() {
			return false
		}
	}
	return true
}
