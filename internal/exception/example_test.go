package exception_test

import (
	"fmt"
	"time"

	"github.com/vigil-project/vigil/internal/event"
	"github.com/vigil-project/vigil/internal/exception"
)

// An exception written in the TOML form, compiled against the engine's
// shared plan, then asked about events. Note the last one: "is not" matches
// an event without the field, so the item excludes it.
func Example() {
	const src = `
[[list]]
list_id = "soc"
rules = ["*"]

[[list.item]]
name = "backup account"

  [[list.item.entry]]
  field = "user.name"
  operator = "is"
  value = "svc-backup"

[[list.item]]
name = "anything but production"

  [[list.item.entry]]
  field = "azure.resource.group"
  operator = "is not"
  value = "RG-PROD"
`
	lists, err := exception.ParseTOML("exceptions.toml", []byte(src))
	if err != nil {
		fmt.Println(err)
		return
	}
	plan := event.NewPlan() // the engine's plan, shared with the rules
	filter, err := exception.Compile(exception.Select(lists, "my-rule-id", nil), exception.CompileOptions{
		Plan: plan,
		Now:  func() time.Time { return time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, doc := range []string{
		`{"user.name":"svc-backup","azure.resource.group":"RG-PROD"}`,
		`{"user.name":"alice","azure.resource.group":"RG-PROD"}`,
		`{"user.name":"alice","azure.resource.group":"RG-DEV"}`,
		`{"user.name":"alice"}`,
	} {
		if excluded, item := filter.Excludes(event.New([]byte(doc), plan)); excluded {
			fmt.Printf("%s: excluded by %q\n", doc, item.Name)
		} else {
			fmt.Printf("%s: kept\n", doc)
		}
	}
	// Output:
	// {"user.name":"svc-backup","azure.resource.group":"RG-PROD"}: excluded by "backup account"
	// {"user.name":"alice","azure.resource.group":"RG-PROD"}: kept
	// {"user.name":"alice","azure.resource.group":"RG-DEV"}: excluded by "anything but production"
	// {"user.name":"alice"}: excluded by "anything but production"
}

// Errors say where and what to do.
func ExampleParseTOML_errors() {
	const src = `[[list]]
list_id = "soc"
[[list.item]]
name = "typo"
[[list.item.entry]]
field = "user.name"
operator = "is noot"
value = "svc"
`
	_, err := exception.ParseTOML("exceptions.toml", []byte(src))
	fmt.Println(err)
	// Output:
	// exceptions.toml:7:1: list "soc" item 1 ("typo") entry 1: unknown operator "is noot" (did you mean "is not"?)
}
