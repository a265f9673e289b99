package ui

import (
	"bytes"
	"html/template"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"
)

// md renders the rules' investigation guides and setup notes. goldmark's
// HTML renderer, without html.WithUnsafe, leaves raw HTML out (a comment
// says where) and drops links and images whose URL is javascript:,
// vbscript:, file: or a non-image data:, so its output is safe to insert:
// a rule's note is as untrusted as the events.
var md = goldmark.New(
	goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.TaskList),
	goldmark.WithRendererOptions(html.WithHardWraps()),
)

// markdown renders src; "" for nothing.
func markdown(src string) template.HTML {
	if src == "" {
		return ""
	}
	var b bytes.Buffer
	if err := md.Convert([]byte(src), &b); err != nil {
		return template.HTML(template.HTMLEscapeString(src))
	}
	return template.HTML(b.String()) // safe: see md
}
