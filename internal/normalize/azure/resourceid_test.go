package azure

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The integration's grok patterns for resource ids, as regular
// expressions: what parseResourceID must find.
var resourcePatterns = []*regexp.Regexp{
	regexp.MustCompile(`^/(?:SUBSCRIPTIONS|subscriptions)/(?P<sub>` + guid + `)/(?:RESOURCEGROUPS|resourceGroups|resourcegroups)/(?P<group>[^/]+)/(?:PROVIDERS|providers)/(?P<provider>[^/]+)/(?:NAMESPACES|namespaces)/(?P<namespace>[^/]+)/(?:AUTHORIZATIONRULES|authorizationRules)/(?P<authorization_rule>[^/]+)$`),
	regexp.MustCompile(`^/(?:SUBSCRIPTIONS|subscriptions)/(?P<sub>` + guid + `)/(?:RESOURCEGROUPS|resourceGroups|resourcegroups)/(?P<group>[^/]+)/(?:PROVIDERS|providers)/(?P<provider>[^/]+/[^/]+)/(?P<name>.+)$`),
	regexp.MustCompile(`^/(?:SUBSCRIPTIONS|subscriptions)/(?P<sub>` + guid + `)/(?:RESOURCEGROUPS|resourceGroups|resourcegroups)/(?P<group>[^/]+)/(?:PROVIDERS|providers)/(?P<provider>[^/]+)$`),
	regexp.MustCompile(`^/(?:SUBSCRIPTIONS|subscriptions)/(?P<sub>` + guid + `)/(?:PROVIDERS|providers)/(?P<provider>.+)$`),
	regexp.MustCompile(`^/(?:SUBSCRIPTIONS|subscriptions)/(?P<sub>` + guid + `)/(?:RESOURCEGROUPS|resourceGroups|resourcegroups)/(?P<group>[^/]+)$`),
	regexp.MustCompile(`^/(?:SUBSCRIPTIONS|subscriptions)/(?P<sub>` + guid + `)$`),
	regexp.MustCompile(`^.*/(?:PROVIDERS|providers)/(?P<provider>.+)$`),
}

func regexpResourceID(id string) [][2]string {
	for _, re := range resourcePatterns {
		m := re.FindStringSubmatch(id)
		if m == nil {
			continue
		}
		var parts [][2]string
		for i, name := range re.SubexpNames() {
			if name == "" || m[i] == "" {
				continue
			}
			switch name {
			case "sub":
				parts = append(parts, [2]string{"azure.subscription_id", m[i]})
			default:
				parts = append(parts, [2]string{"azure.resource." + name, m[i]})
			}
		}
		return parts
	}
	return nil
}

// resourceIDSeeds are ids of the shapes the patterns tell apart, and their
// near misses.
var resourceIDSeeds = []string{
	"",
	"/",
	"/subscriptions/12345678-1234-1234-1234-123456789abc",
	"/SUBSCRIPTIONS/{12345678-1234-1234-1234-123456789ABC}",
	"/subscriptions/{12345678-1234-1234-1234-123456789abc",
	"/subscriptions/12345678-1234-1234-1234-123456789abc}",
	"/subscriptions/12345678-1234-1234-1234-123456789abg",
	"/subscriptions/12345678-1234-1234-1234-123456789abc/",
	"/Subscriptions/12345678-1234-1234-1234-123456789abc",
	"/subscriptions/12345678-1234-1234-1234-123456789abc/resourceGroups/rg",
	"/subscriptions/12345678-1234-1234-1234-123456789abc/resourcegroups/rg/",
	"/subscriptions/12345678-1234-1234-1234-123456789abc/RESOURCEGROUPS//providers/x",
	"/subscriptions/12345678-1234-1234-1234-123456789abc/ResourceGroups/rg",
	"/subscriptions/12345678-1234-1234-1234-123456789abc/resourceGroups/rg/providers/Microsoft.Compute",
	"/subscriptions/12345678-1234-1234-1234-123456789abc/resourceGroups/rg/providers/Microsoft.Compute/",
	"/subscriptions/12345678-1234-1234-1234-123456789abc/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines",
	"/subscriptions/12345678-1234-1234-1234-123456789abc/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1",
	"/subscriptions/12345678-1234-1234-1234-123456789abc/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1/extensions/x",
	"/subscriptions/12345678-1234-1234-1234-123456789abc/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines//",
	"/subscriptions/12345678-1234-1234-1234-123456789abc/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/a\nb",
	"/subscriptions/12345678-1234-1234-1234-123456789abc/resourceGroups/r\ng/providers/Microsoft.Compute/virtualMachines/ab",
	"/subscriptions/12345678-1234-1234-1234-123456789abc/resourceGroups/rg/providers//virtualMachines/vm1",
	"/subscriptions/12345678-1234-1234-1234-123456789abc/resourceGroups/rg/providers/Microsoft.EventHub/namespaces/ns/authorizationRules/rule",
	"/SUBSCRIPTIONS/12345678-1234-1234-1234-123456789abc/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.EVENTHUB/NAMESPACES/NS/AUTHORIZATIONRULES/R\nULE",
	"/subscriptions/12345678-1234-1234-1234-123456789abc/resourceGroups/rg/providers/Microsoft.EventHub/namespaces/ns/authorizationRules/",
	"/subscriptions/12345678-1234-1234-1234-123456789abc/resourceGroups/rg/providers/Microsoft.EventHub/namespaces/ns/authorizationRules/r/s",
	"/subscriptions/12345678-1234-1234-1234-123456789abc/resourceGroups/rg/providers/Microsoft.EventHub/Namespaces/ns/authorizationRules/rule",
	"/subscriptions/12345678-1234-1234-1234-123456789abc/providers/Microsoft.Authorization/roleAssignments/x",
	"/subscriptions/12345678-1234-1234-1234-123456789abc/PROVIDERS/",
	"/subscriptions/12345678-1234-1234-1234-123456789abc/providers/a\n",
	"/tenants/12345678-1234-1234-1234-123456789abc/providers/Microsoft.aadiam",
	"/providers/Microsoft.Management/managementGroups/mg",
	"x/providers/y/providers/z",
	"/providers/providers/",
	"/providers/providers/x",
	"/providers/",
	"/PROVIDERS/a/providers/",
	"a\n/providers/b",
	"/Providers/x",
	"/subscriptions/\xff2345678-1234-1234-1234-123456789abc/resourceGroups/rg",
	"/subscriptions/12345678-1234-1234-1234-123456789abc/resourceGroups/\xff/providers/p/q/\xfe",
	"/a/b/c/d/e/f/g/h/i/j/k/l/m/n/providers/o",
}

func TestParseResourceIDIsRegexp(t *testing.T) {
	ids := append([]string{}, resourceIDSeeds...)
	// Every prefix of every seed, and the seeds with their cases changed.
	for _, s := range resourceIDSeeds {
		for i := range len(s) {
			ids = append(ids, s[:i])
		}
		ids = append(ids, strings.ToUpper(s), strings.ToLower(s))
	}
	for _, id := range ids {
		checkResourceID(t, id)
	}
}

func checkResourceID(t *testing.T, id string) {
	t.Helper()
	want := regexpResourceID(id)
	got := parseResourceID(nil, id)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("parseResourceID(%q) (-regexp +parsed):\n%s", id, diff)
	}
}

func FuzzParseResourceID(f *testing.F) {
	for _, s := range resourceIDSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) { checkResourceID(t, id) })
}

// TestIsGUIDSegmentIsRegexp compares isGUIDSegment with the patterns'
// guid over GUIDs with each byte in turn set to every value, braced and
// not, and at lengths around 36.
func TestIsGUIDSegmentIsRegexp(t *testing.T) {
	re := regexp.MustCompile(`^` + guid + `$`)
	check := func(s string) {
		t.Helper()
		if got, want := isGUIDSegment(s), re.MatchString(s); got != want {
			t.Fatalf("isGUIDSegment(%q) = %v, want %v", s, got, want)
		}
	}
	for _, g := range []string{"12345678-9abc-def0-ABCD-EF0123456789", "d36a9e81-871f-4fbb-8190-7b943b81c82b"} {
		for _, s := range []string{g, "{" + g, g + "}", "{" + g + "}", g[1:], g + "0", "{" + g[1:] + "}"} {
			check(s)
			for i := range len(s) {
				b := []byte(s)
				for c := range 256 {
					b[i] = byte(c)
					check(string(b))
				}
			}
		}
	}
}
