package api

// RouteRule is an entry of the route table as the tests see it: the
// pattern and who may call it, named as docs/api.md names it.
type RouteRule struct {
	Pattern string
	Who     string
	// Declared is false for a route registered without a rule.
	Declared bool
}

// Who-values of RouteRule.
const (
	WhoAnyone     = "anyone"
	WhoCustomer   = "customer"
	WhoSignedIn   = "customer, staff"
	WhoStaff      = "staff"
	WhoSupervisor = "supervisor"
	WhoAdmin      = "admin"
)

// RouteTable is the route table Register installs.
func RouteTable() []RouteRule {
	var out []RouteRule
	for _, rt := range (&API{}).routes() {
		out = append(out, RouteRule{Pattern: rt.pattern, Who: rt.rule.access.String(), Declared: rt.rule.declared()})
	}
	return out
}

// OpenAPI is the document the server serves.
func OpenAPI() []byte { return openAPI }
