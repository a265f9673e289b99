// Package kql parses Kibana Query Language, as Kibana's grammar defines it.
package kql
