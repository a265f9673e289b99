package kafka

import (
	"net/url"
	"strings"
)

// EventHubs returns the Options that reach the Kafka endpoint of an Azure
// Event Hubs namespace (Standard tier or above): the broker
// <namespace>.servicebus.windows.net:9093, TLS, and SASL PLAIN with the
// username "$ConnectionString" and the connection string as the password.
//
// namespace may be a bare name ("contoso"), a host name, or "" to take it
// from the connection string's Endpoint. When the connection string names an
// event hub (EntityPath, as a hub-level shared access policy's does), that
// hub is the topic. The caller sets Group, and Name and Index as it likes;
// New reports what is missing.
func EventHubs(namespace, connectionString string) Options {
	var endpoint, entity string
	for _, part := range strings.Split(connectionString, ";") {
		key, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch strings.ToLower(key) {
		case "endpoint":
			endpoint = value
		case "entitypath":
			entity = value
		}
	}
	host := namespace
	if host == "" {
		if u, err := url.Parse(endpoint); err == nil {
			host = u.Hostname()
		}
	}
	opts := Options{
		TLS: true,
		SASL: SASL{
			Mechanism: "PLAIN",
			Username:  "$ConnectionString",
			Password:  connectionString,
		},
	}
	if host != "" {
		if !strings.Contains(host, ".") {
			host += ".servicebus.windows.net"
		}
		opts.Brokers = []string{host + ":9093"}
	}
	if entity != "" {
		opts.Topics = []string{entity}
	}
	return opts
}
