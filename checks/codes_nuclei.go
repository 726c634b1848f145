package checks

import "github.com/vouchdev/vouch/posture"

// Issue codes of the nuclei check (a company's own template as a control).
// They are API like those of codes.go.
const (
	CodeTemplateNoMatch posture.Code = "waf.template.no_match" // expected a match, the template did not match
	CodeTemplateMatched posture.Code = "waf.template.matched"  // expected no match, the template matched
)

// CodesNuclei returns the codes of this file, sorted; Codes() includes them.
func CodesNuclei() []posture.Code { return []posture.Code{CodeTemplateMatched, CodeTemplateNoMatch} }
