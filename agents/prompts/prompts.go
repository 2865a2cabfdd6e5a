// Package prompts holds the AI steps' prompts as versioned files, embedded
// in the binary. Each file starts with an HTML comment saying what the
// prompt is for and what it must not do; [Get] strips the comment. A file
// is named <step>.v<N>.md; a change of wording that changes behaviour
// takes a new version, so outputs say which prompt made them.
package prompts

import (
	"embed"
	"fmt"
	"strings"
)

//go:embed *.md
var files embed.FS

// Get returns the prompt of the given file name ("architecture.v1.md")
// without its leading comment. It panics on an unknown name: prompts are
// compiled in, so that is a programming error.
func Get(name string) string {
	b, err := files.ReadFile(name)
	if err != nil {
		panic(fmt.Sprintf("prompts: %v", err))
	}
	s := string(b)
	if strings.HasPrefix(s, "<!--") {
		if i := strings.Index(s, "-->"); i >= 0 {
			s = s[i+3:]
		}
	}
	return strings.TrimSpace(s)
}
