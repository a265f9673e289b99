package rule

import "fmt"

// Threshold is a threshold rule's configuration: alert when at least Value
// matching events share the values of Fields (0 to 5 fields; none: all
// matching events form one group), and, with a cardinality, when they hold
// at least CardinalityValue distinct values of CardinalityField.
type Threshold struct {
	Fields           []string
	Value            int
	CardinalityField string
	CardinalityValue int
}

// ThresholdConfig reads [rule.threshold]; the reason says what is wrong
// when it is not usable.
func (r *Rule) ThresholdConfig() (th Threshold, reason string) {
	t, ok := r.Raw["threshold"].(map[string]any)
	if !ok {
		return th, "a threshold rule needs a [rule.threshold] table"
	}
	th.Fields = stringList(t["field"])
	if n, ok := t["value"].(int64); ok {
		th.Value = int(n)
	}
	for _, c := range tables(t["cardinality"]) {
		th.CardinalityField, _ = c["field"].(string)
		if n, ok := c["value"].(int64); ok {
			th.CardinalityValue = int(n)
		}
	}
	switch {
	case len(th.Fields) > 5:
		return th, fmt.Sprintf("threshold groups by at most 5 fields, this one by %d", len(th.Fields))
	case th.Value < 1:
		return th, "threshold value must be at least 1"
	case th.CardinalityField != "" && th.CardinalityValue < 1:
		return th, "threshold cardinality value must be at least 1"
	}
	return th, ""
}
