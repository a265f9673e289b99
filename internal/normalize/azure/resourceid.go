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
	// Slash to slash by IndexByte: segments are tens of bytes long.
	for i := 0; n <= maxIDSegments; n++ {
		j := strings.IndexByte(id[i:], '/')
		if j < 0 {
			break
		}
		i += j + 1
		at[n] = i
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
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return false
	}
	// Eight bytes a step (the last step overlaps the one before): every
	// byte but the four dashes a hex digit.
	b := unsafeBytes(s)
	return notHex(word(b, 0))|notHex(word(b, 8))&^guidDashes8|notHex(word(b, 16))&^guidDashes16|
		notHex(word(b, 24))|notHex(word(b, 28)) == 0
}

// The dashes' bytes in the words at 8 (bytes 8 and 13) and at 16 (bytes
// 18 and 23) of a GUID, as notHex marks them.
const (
	guidDashes8  = 0x80<<(0*8) | 0x80<<(5*8)
	guidDashes16 = 0x80<<(2*8) | 0x80<<(7*8)
)

// notHex marks the bytes of w that are not ASCII hex digits (exactly:
// every byte's mark stands for that byte alone). Below 0x80, adding
// 0x80-c to a byte sets its high bit when it is c or above, with no
// carry into the next byte.
func notHex(w uint64) uint64 {
	x := w &^ swarHi
	digit := (x + swarLo*(0x80-'0')) &^ (x + swarLo*(0x80-'9'-1))
	l := x | swarLo*0x20 // lower case
	letter := (l + swarLo*(0x80-'a')) &^ (l + swarLo*(0x80-'f'-1))
	return (w | ^(digit | letter)) & swarHi
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
