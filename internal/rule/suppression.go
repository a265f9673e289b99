package rule

import (
	"fmt"
	"math"
	"time"
)

// AlertSuppression is [rule.alert_suppression]: alerts whose events share
// the values of GroupBy are folded into one, per rule execution or, with a
// Duration, per time period. Threshold rules group by their threshold
// fields and set only a Duration.
type AlertSuppression struct {
	GroupBy               []string  // 1 to 3 fields; none on threshold rules
	Duration              *Duration // nil: per rule execution
	MissingFieldsStrategy string    // "suppress" (default) or "doNotSuppress"; "" on threshold rules
}

// Duration is a suppression period, [rule.alert_suppression.duration].
type Duration struct {
	Value int    // at least 1
	Unit  string // "s", "m" or "h"
}

// TimeDuration returns the period as a time.Duration, 0 for a nil
// Duration.
func (d *Duration) TimeDuration() time.Duration {
	if d == nil {
		return 0
	}
	unit := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour}[d.Unit]
	if unit == 0 || d.Value <= 0 {
		return 0
	}
	if int64(d.Value) > int64(math.MaxInt64/unit) {
		return math.MaxInt64 // longer than anyone keeps alerts
	}
	return time.Duration(d.Value) * unit
}

// Missing-fields strategies of alert suppression.
const (
	Suppress      = "suppress"      // events missing a group_by field form their own group
	DoNotSuppress = "doNotSuppress" // they get ordinary alerts
)

// alertSuppression reads [rule.alert_suppression].
func (v *validator) alertSuppression(t map[string]any) {
	const table = "rule.alert_suppression"
	m, ok := v.subTable(t, "rule", "alert_suppression")
	if !ok {
		return
	}
	v.onlyKeys(m, table, []string{"group_by", "duration", "missing_fields_strategy"})
	s := &AlertSuppression{}
	valid := true
	if v.r.Type == "threshold" {
		for _, k := range []string{"group_by", "missing_fields_strategy"} {
			if _, present := m[k]; present {
				v.errKey(table, k, fmt.Sprintf("%s.%s is not allowed on threshold rules", table, k),
					"a threshold rule suppresses by its threshold fields: keep only [rule.alert_suppression.duration]")
				valid = false
			}
		}
		if _, present := m["duration"]; !present {
			v.missing(table, "duration", "threshold rules suppress per time period: add [rule.alert_suppression.duration] with value and unit")
			valid = false
		}
	} else {
		groupBy, ok := v.fieldList(m, table, "group_by", false)
		switch {
		case !ok:
			valid = false
		case len(groupBy) == 0:
			if _, present := m["group_by"]; present {
				v.errKey(table, "group_by", table+".group_by is empty", "name 1 to 3 fields to group alerts by")
			} else {
				v.missing(table, "group_by", `name 1 to 3 fields to group alerts by, e.g. group_by = ["user.name"]`)
			}
			valid = false
		case len(groupBy) > 3:
			v.errKey(table, "group_by", fmt.Sprintf("%s.group_by has %d fields, at most 3 are allowed", table, len(groupBy)), "group by fewer fields")
			valid = false
		}
		s.GroupBy = groupBy
		s.MissingFieldsStrategy = Suppress
		if _, present := m["missing_fields_strategy"]; present {
			s.MissingFieldsStrategy = v.enum(m, table, "missing_fields_strategy", false, Suppress, DoNotSuppress)
		}
	}
	if d, ok := v.subTable(m, table, "duration"); ok {
		const dt = table + ".duration"
		v.onlyKeys(d, dt, []string{"value", "unit"})
		dur := &Duration{}
		n, okV := v.atLeast(d, dt, "value", true, 1)
		dur.Value = n
		if u, _ := d["unit"].(string); u == "d" {
			v.errKey(dt, "unit", dt+`.unit = "d" is not a valid value`, `use s, m or h: for days write hours, e.g. value = 24 and unit = "h"`)
		} else {
			dur.Unit = v.enum(d, dt, "unit", true, "s", "m", "h")
		}
		if okV && contains([]string{"s", "m", "h"}, dur.Unit) {
			s.Duration = dur
		} else {
			valid = false
		}
	} else if _, present := m["duration"]; present {
		valid = false
	}
	if valid {
		v.r.AlertSuppression = s
	}
}
