package gen

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// The people, machines and cloud resources events are about. They are drawn
// once per data set from the seeded source, so a seed gives the same
// organisation every time.

type user struct {
	first, last string
	full        string // "Jane Doe"
	name        string // "jane.doe", user.name after the integration's grok
	domain      string // "contoso.com"
	upn         string // "jane.doe@contoso.com"
	sam         string // "jdoe", the Windows account name
	objectID    string // Entra object id (a UUID)
	principalID string // the same id without dashes, as role evidence shows it
	sid         string
}

type host struct {
	name    string
	id      string
	windows bool
	ip      string
}

type subscription struct {
	id     string // lower case
	upper  string // as resource ids of Event Hub exports spell it
	groups []string
}

var (
	firstNames = []string{"Jane", "John", "Maria", "Ahmed", "Wei", "Olga", "Carlos", "Priya", "Tom", "Aiko",
		"Lucas", "Fatima", "Noah", "Emma", "Ivan", "Sara", "David", "Mei", "Omar", "Anna", "Pierre", "Lena",
		"Kofi", "Nora", "Raj", "Elena", "Sam", "Yuki", "Hugo", "Zoe"}
	lastNames = []string{"Doe", "Smith", "Garcia", "Khan", "Zhang", "Ivanova", "Silva", "Patel", "Brown", "Tanaka",
		"Martin", "Haddad", "Wilson", "Muller", "Petrov", "Cohen", "Lee", "Chen", "Farouk", "Novak", "Dubois",
		"Berg", "Mensah", "Larsen", "Singh", "Rossi", "Taylor", "Sato", "Moreau", "Clark"}
	domains   = []string{"contoso.com", "contoso.com", "contoso.com", "fabrikam.example"}
	locations = []string{"westeurope", "northeurope", "eastus", "eastus2", "westus2", "uksouth", "francecentral"}
	rgPrefix  = []string{"PROD", "DEV", "TEST", "SHARED", "DATA", "OPS"}
	rgSuffix  = []string{"APP-RG", "WEB-RG", "DATA-RG", "NET-RG", "AKS-RG", "SEC-RG", "INFRA-RG"}
)

// pools holds the entities of one data set.
type pools struct {
	tenant string
	users  []user
	hosts  []host
	subs   []subscription
}

func newPools(r *rand.Rand) *pools {
	p := &pools{tenant: uuid(r)}
	seen := map[string]bool{}
	for len(p.users) < 400 {
		f, l := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
		name := strings.ToLower(f + "." + l)
		if seen[name] {
			name += strconv.Itoa(len(p.users))
		}
		seen[name] = true
		dom := domains[r.IntN(len(domains))]
		oid := uuid(r)
		p.users = append(p.users, user{
			first: f, last: l, full: f + " " + l, name: name, domain: dom, upn: name + "@" + dom,
			sam: strings.ToLower(f[:1] + l), objectID: oid, principalID: strings.ReplaceAll(oid, "-", ""),
			sid: "S-1-5-21-3623811015-3361044348-30300820-" + strconv.Itoa(1100+len(p.users)),
		})
	}
	for i := range 600 {
		h := host{id: hex(r, 32), ip: "10." + strconv.Itoa(r.IntN(4)) + "." + strconv.Itoa(r.IntN(256)) + "." + strconv.Itoa(1+r.IntN(254))}
		if i%5 < 3 {
			h.windows = true
			h.name = "WS-" + pad(strconv.Itoa(i), 4)
		} else {
			h.name = []string{"web", "api", "db", "build", "k8s-node"}[r.IntN(5)] + "-" + pad(strconv.Itoa(i), 3)
		}
		p.hosts = append(p.hosts, h)
	}
	for range 4 {
		id := uuid(r)
		s := subscription{id: id, upper: strings.ToUpper(id)}
		for range 8 {
			s.groups = append(s.groups, rgPrefix[r.IntN(len(rgPrefix))]+"-"+rgSuffix[r.IntN(len(rgSuffix))])
		}
		p.subs = append(p.subs, s)
	}
	return p
}

func pad(s string, n int) string {
	for len(s) < n {
		s = "0" + s
	}
	return s
}

// hex returns n random lower-case hex digits.
func hex(r *rand.Rand, n int) string {
	b := make([]byte, n)
	var v uint64
	for i := range b {
		if i%16 == 0 {
			v = r.Uint64()
		}
		b[i] = hexDigits[v&0xf]
		v >>= 4
	}
	return string(b)
}

// uuid returns a random version-4 UUID.
func uuid(r *rand.Rand) string {
	b := make([]byte, 36)
	v := r.Uint64()
	w := r.Uint64()
	for i, j := 0, 0; i < 36; i++ {
		switch i {
		case 8, 13, 18, 23:
			b[i] = '-'
			continue
		case 14:
			b[i] = '4'
			continue
		case 19:
			b[i] = hexDigits[8+w&3]
			w >>= 2
			continue
		}
		if j < 16 {
			b[i] = hexDigits[v&0xf]
			v >>= 4
		} else {
			b[i] = hexDigits[w&0xf]
			w >>= 4
		}
		j++
	}
	return string(b)
}

// publicIP returns an address from the documentation ranges, where callers
// of cloud APIs come from in these data sets.
func publicIP(r *rand.Rand) string {
	nets := []string{"203.0.113.", "198.51.100.", "192.0.2."}
	return nets[r.IntN(len(nets))] + strconv.Itoa(1+r.IntN(254))
}

// pick returns a random element of s.
func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }
