package azure

import (
	"bytes"
	"testing"
)

// TestConstantsKeepPlans writes activity records with one writer (its
// plans kept), twice over: records alike but for a constant the writer
// puts as a literal of the plan (putConst: the outcome, the default
// category, the claims' schema) and for a user name that is split at its
// @. Each document is the general path's, and in the second round every
// record finds the plan the first round made for it (records that differ
// in a constant do not replace each other's plans).
func TestConstantsKeepPlans(t *testing.T) {
	const claim = `"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"`
	var recs []string
	for _, result := range []string{"Success", "failure", "Start"} {
		for _, props := range []string{``, `,"properties":{"eventCategory":"Policy"}`, `,"properties":{"policies":[]}`, `,"properties":{}`} {
			for _, user := range []string{``, `,"identity":{"claims":{` + claim + `:"ana@contoso.com"}}`, `,"identity":{"claims":{` + claim + `:"ana"}}`} {
				recs = append(recs, `{"time":"2026-03-12T00:01:56Z","operationName":"A/WRITE","resourceId":"/subscriptions/d36a9e81-871f-4fbb-8190-7b943b81c82b/resourceGroups/rg/providers/p/t/n","resultType":"`+result+`"`+user+props+`}`)
			}
		}
	}
	f := &fastDoc{}
	plans := map[string]*shape{}
	for round := range 2 {
		for _, rec := range recs {
			raw := []byte(rec)
			want, valid := slowActivity(t, raw)
			if !valid {
				t.Fatalf("%s: the general path failed", rec)
			}
			f.reset(raw)
			got, _, ok, _ := f.appendActivity(nil, Options{}, true)
			p := f.laid
			f.reset(nil)
			if !ok {
				t.Fatalf("%s: not taken", rec)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%s: %s", rec, firstDifference(got, want))
			}
			if round == 0 {
				plans[rec] = p
			} else if plans[rec] != p {
				t.Fatalf("%s: planned again", rec)
			}
		}
	}
}
