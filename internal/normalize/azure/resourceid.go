package azure

import "strings"

// parseResourceID appends to dst the fields of a resource id as the
// integration's grok chain finds them (resourcePatterns, tried in order):
// the subscription, resource group, provider, name, namespace and
// authorization rule, keeping their case; only the all-caps and the
// camelCase spellings of the keywords are recognised. The values are
// substrings of id. It is the patterns written by hand (a regular
// expression per record was a fifth of an activity record's time);
// TestParseResourceIDIsRegexp and FuzzParseResourceID compare the two.
func parseResourceID(dst [][2]string, id string) [][2]string {
	if n, ok := parseSubscribed(dst, id); ok {
		return n
	}
	return parseAnyProvider(dst, id)
}

// maxIDSegments bounds the slashes parseSubscribed looks at: the longest
// pattern has ten segments, the others need to know only that there are
// more than they name.
const maxIDSegments = 11

// parseSubscribed tries the patterns that start /subscriptions/{guid}.
func parseSubscribed(dst [][2]string, id string) ([][2]string, bool) {
	if len(id) < 2 || id[0] != '/' {
		return dst, false
	}
	// at[k] is where segment k starts (after its slash); segment k ends
	// at at[k+1]-1, the last one at len(id).
	var at [maxIDSegments + 1]int
	n := 0
	for i := 0; i < len(id) && n <= maxIDSegments; i++ {
		if id[i] == '/' {
			at[n] = i + 1
			n++
		}
	}
	seg := func(k int) string {
		if k+1 < n {
			return id[at[k] : at[k+1]-1]
		}
		return id[at[k]:]
	}
	tail := func(k int) string { return id[at[k]:] } // segment k and all after it
	if n < 2 || !isSubscriptions(seg(0)) {
		return dst, false
	}
	sub := seg(1)
	if !isGUIDSegment(sub) {
		return dst, false
	}
	subP := [2]string{"azure.subscription_id", sub}
	if n == 2 {
		return append(dst, subP), true // ^/subscriptions/(sub)$
	}
	if isProviders(seg(2)) {
		// ^/subscriptions/(sub)/providers/(provider .+)$
		if n < 4 || !lineText(tail(3)) {
			return dst, false
		}
		return append(dst, subP, [2]string{"azure.resource.provider", tail(3)}), true
	}
	if !isResourceGroups(seg(2)) || n < 4 || seg(3) == "" {
		return dst, false
	}
	groupP := [2]string{"azure.resource.group", seg(3)}
	switch {
	case n == 4:
		return append(dst, subP, groupP), true // .../resourceGroups/(group)$
	case !isProviders(seg(4)) || n < 6 || seg(5) == "":
		return dst, false
	case n == 6:
		// .../providers/(provider [^/]+)$
		return append(dst, subP, groupP, [2]string{"azure.resource.provider", seg(5)}), true
	case n == 10 && isNamespaces(seg(6)) && seg(7) != "" && isAuthorizationRules(seg(8)) && seg(9) != "":
		// .../providers/(provider)/namespaces/(namespace)/authorizationRules/(authorization_rule)$
		return append(dst, subP, groupP,
			[2]string{"azure.resource.provider", seg(5)},
			[2]string{"azure.resource.namespace", seg(7)},
			[2]string{"azure.resource.authorization_rule", seg(9)}), true
	case n < 8 || seg(6) == "" || !lineText(tail(7)):
		return dst, false
	}
	// .../providers/(provider [^/]+/[^/]+)/(name .+)$
	return append(dst, subP, groupP,
		[2]string{"azure.resource.provider", id[at[5] : at[7]-1]},
		[2]string{"azure.resource.name", tail(7)}), true
}

// parseAnyProvider is the last pattern, ^.*/providers/(provider .+)$: the
// provider follows the last /providers/ that has something after it.
func parseAnyProvider(dst [][2]string, id string) [][2]string {
	if strings.IndexByte(id, '\n') >= 0 {
		return dst // neither .* nor .+ takes a newline
	}
	for i := len(id) - len("/providers/") - 1; i >= 0; i-- {
		if id[i] == '/' && isProviders(id[i+1:i+10]) && id[i+10] == '/' {
			return append(dst, [2]string{"azure.resource.provider", id[i+11:]})
		}
	}
	return dst
}

// lineText tells a nonempty string without a newline (what .+ takes).
func lineText(s string) bool { return s != "" && strings.IndexByte(s, '\n') < 0 }

// isGUIDSegment tells a segment that is a GUID, braces allowed on either
// side: the patterns' guid.
func isGUIDSegment(s string) bool {
	if len(s) > 0 && s[0] == '{' {
		s = s[1:]
	}
	if len(s) > 0 && s[len(s)-1] == '}' {
		s = s[:len(s)-1]
	}
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// The keywords of resource ids, in the spellings the patterns take.
func isSubscriptions(s string) bool { return s == "subscriptions" || s == "SUBSCRIPTIONS" }
func isProviders(s string) bool     { return s == "providers" || s == "PROVIDERS" }
func isNamespaces(s string) bool    { return s == "namespaces" || s == "NAMESPACES" }
func isResourceGroups(s string) bool {
	return s == "resourceGroups" || s == "resourcegroups" || s == "RESOURCEGROUPS"
}
func isAuthorizationRules(s string) bool {
	return s == "authorizationRules" || s == "AUTHORIZATIONRULES"
}
