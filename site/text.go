package site

// Small helpers of page.templ, kept in Go so that the template stays
// markup.

func orgName(p page) string {
	if p.Org.Name == "" {
		return "Trust center"
	}
	return p.Org.Name
}

func titleOf(p page) string {
	if p.Org.Name == "" {
		return "Security and trust"
	}
	return p.Org.Name + " — Security and trust"
}

func toolName(p page) string {
	name := p.Tool.Name
	if name == "" {
		name = "vouch"
	}
	if p.Tool.Version == "" {
		return name
	}
	return name + " " + p.Tool.Version
}

func scanID(p page) string {
	if p.ScanID == "" {
		return "(unnamed)"
	}
	return p.ScanID
}

func claims(n int) string {
	if n == 1 {
		return "claim"
	}
	return "claims"
}

// legend explains a badge in one sentence.
func legend(s status) string {
	switch s {
	case statusVerified:
		return "Checked from outside against the live deployment in the latest scan, and it holds."
	case statusAttested:
		return "Cannot be observed from outside: the company's own statement, with who made it and when it was last reviewed."
	case statusUnderReview:
		return "Not confirmed by the latest scan; the company is reviewing it."
	case statusNotVerified:
		return "The latest scan could not observe what this claim is about, so it is not counted as verified."
	}
	return "Nothing in scope for the latest scan to check."
}

// attestedLead is the words before an attestation's review date: "by CTO,
// reviewed", "by CTO" or "reviewed".
func attestedLead(c controlView) string {
	switch {
	case c.AttestedBy != "" && c.Reviewed != nil:
		return "by " + c.AttestedBy + ", reviewed"
	case c.AttestedBy != "":
		return "by " + c.AttestedBy
	case c.Reviewed != nil:
		return "reviewed"
	}
	return ""
}
