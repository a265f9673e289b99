package ecs

// Field is what a mapping says about one field beyond its type: the
// analyzer of a text field, the normalizer of a keyword field, and, for a
// multi-field (process.name.caseless, user.name.text), the field whose value
// it indexes. The zero value is a plain field of type Unknown.
type Field struct {
	Type Type
	// Analyzer of a text or match_only_text field: "" or "standard" (the
	// default), "whitespace", "simple", "keyword", or
	// PowerShellAnalyzer. Unknown analyzers are kept as written and read as
	// standard.
	Analyzer string
	// Normalizer of a keyword field: "" or "lowercase".
	Normalizer string
	// Parent is set on multi-fields: the path whose value the field
	// indexes (an event has no value of its own at a multi-field's path).
	Parent string
}

// PowerShellAnalyzer names the pattern analyzer that the Windows
// integration (powershell_script_analyzer) and Winlogbeat
// (winlogbeat_powershell_script_analyzer) give powershell.file.script_block_text:
// type pattern, pattern `[\W&&[^-]]+` (split at runs of characters other
// than ASCII letters, digits, '_' and '-'), lower-cased.
const PowerShellAnalyzer = "powershell_script_analyzer"

// CanonicalAnalyzer maps an analyzer name as mappings write it to the name
// Vigil evaluates: the PowerShell pattern analyzer's two names become
// PowerShellAnalyzer, "standard" becomes "".
func CanonicalAnalyzer(name string) string {
	switch name {
	case "standard", "default":
		return ""
	case "winlogbeat_powershell_script_analyzer":
		return PowerShellAnalyzer
	}
	return name
}

// SupportedAnalyzer reports whether Vigil evaluates analyzer name (after
// CanonicalAnalyzer) as Elasticsearch does.
func SupportedAnalyzer(name string) bool {
	switch CanonicalAnalyzer(name) {
	case "", "whitespace", "simple", "keyword", PowerShellAnalyzer:
		return true
	}
	return false
}

// Describe renders the field for people: its type, and its analyzer,
// normalizer or parent when it has one ("text (analyzer powershell_script_analyzer)",
// "keyword (normalizer lowercase, multi-field of process.name)").
func (f Field) Describe() string {
	s := f.Type.String()
	var more []string
	if f.Type.IsText() {
		a := f.Analyzer
		if a == "" {
			a = "standard"
		}
		more = append(more, "analyzer "+a)
	}
	if f.Normalizer != "" {
		more = append(more, "normalizer "+f.Normalizer)
	}
	if f.Parent != "" {
		more = append(more, "multi-field of "+f.Parent)
	}
	for i, m := range more {
		if i == 0 {
			s += " (" + m
		} else {
			s += ", " + m
		}
	}
	if len(more) > 0 {
		s += ")"
	}
	return s
}
