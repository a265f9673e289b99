package gen

import "time"

// Entra ID (Azure AD) sign-in and audit logs, as the azure integration's
// signinlogs and auditlogs data streams index them.

type app struct {
	name, id             string
	resource, resourceID string
}

// signinApps are everyday sign-ins. None pairs an application with a
// resource that a detection rule watches.
var signinApps = []app{
	{"Azure Portal", "c44b4083-3bb0-49c1-b47d-974e53cbdf3c", "Windows Azure Service Management API", "797f4846-ba00-4fd7-ba43-dac1f8f63013"},
	{"Microsoft Office", "d3590ed6-52b3-4102-aeff-aad2292ab01c", "Office 365 Exchange Online", "00000002-0000-0ff1-ce00-000000000000"},
	{"Microsoft Teams", "1fec8e78-bce4-4aaf-ab1b-5451cc387264", "Microsoft Graph", "00000003-0000-0000-c000-000000000000"},
	{"Office 365 SharePoint Online", "00000003-0000-0ff1-ce00-000000000000", "Office 365 SharePoint Online", "00000003-0000-0ff1-ce00-000000000000"},
	{"Microsoft Azure CLI", "04b07795-8ddb-461a-bbee-02f9e1bf7b46", "Windows Azure Service Management API", "797f4846-ba00-4fd7-ba43-dac1f8f63013"},
	{"My Apps", "2793995e-0a7d-40d7-bd35-6968ba142197", "Microsoft App Access Panel", "0000000c-0000-0000-c000-000000000000"},
}

var userAgents = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:135.0) Gecko/20100101 Firefox/135.0",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 18_2 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
	"Windows-AzureAD-Authentication-Provider/1.0",
	"Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.18324; Pro)",
}

// signin is one sign-in; planted ones change some fields.
type signin struct {
	t         time.Time
	user      *user
	app       app
	ip        string
	ua        string
	errorCode int
	riskLevel string // risk_level_during_signin
	riskState string
	tokenType string
}

func (g *generator) newSignin(t time.Time) signin {
	r := g.r
	s := signin{
		t: t, user: &g.p.users[r.IntN(len(g.p.users))], app: pick(r, signinApps), ip: publicIP(r),
		ua: pick(r, userAgents), riskLevel: "none", riskState: "none", tokenType: "AzureAD",
	}
	if r.IntN(100) < 12 {
		s.errorCode = pick(r, []int{50126, 50074, 50140, 50053})
	}
	return s
}

func (g *generator) writeSignin(d *doc, s *signin) {
	d.open("")
	d.time("@timestamp", s.t)
	d.open("azure")
	d.open("signinlogs")
	d.str("operation_name", "Sign-in activity")
	d.open("properties")
	d.str("app_display_name", s.app.name)
	d.str("app_id", s.app.id)
	d.str("resource_display_name", s.app.resource)
	d.str("resource_id", s.app.resourceID)
	d.str("risk_level_during_signin", s.riskLevel)
	d.str("risk_state", s.riskState)
	d.str("token_issuer_type", s.tokenType)
	d.close()
	d.close()
	d.close()
	dataStream(d, "azure.signinlogs")
	d.open("event")
	d.str("action", "Sign-in activity")
	d.strs("category", "authentication")
	d.str("dataset", "azure.signinlogs")
	d.time("ingested", g.ingested(s.t))
	if s.errorCode == 0 {
		d.str("outcome", "success")
	} else {
		d.str("outcome", "failure")
	}
	d.close()
	d.open("source")
	d.str("ip", s.ip)
	d.close()
	d.open("user")
	d.str("name", s.user.name)
	d.close()
	d.open("user_agent")
	d.str("original", s.ua)
	d.close()
	d.close()
}

// audit is one directory change: who changed what property of which object.
type audit struct {
	t          time.Time
	op         string
	category   string
	opType     string
	actor      *user
	target     *user
	targetType string
	property   string
	oldValue   string
	newValue   string
	success    bool
}

var auditOps = []struct {
	op, category, opType, targetType, property, oldValue, newValue string
}{
	{"Update user", "UserManagement", "Update", "User", "AccountEnabled", "[false]", "[true]"},
	{"Update user", "UserManagement", "Update", "User", "Department", `["Sales"]`, `["Marketing"]`},
	{"Add member to group", "GroupManagement", "Assign", "Group", "Group.DisplayName", "", `"VPN Users"`},
	{"Remove member from group", "GroupManagement", "Unassign", "Group", "Group.DisplayName", `"Project X"`, ""},
	{"Reset password (by admin)", "UserManagement", "Update", "User", "PasswordProfile", "", ""},
	{"Add user", "UserManagement", "Add", "User", "AccountEnabled", "", "[true]"},
	{"Add member to role", "RoleManagement", "Assign", "User", "Role.DisplayName", "", `"Helpdesk Administrator"`},
	{"Update group", "GroupManagement", "Update", "Group", "Description", `"Sales team"`, `"Sales and marketing"`},
}

func (g *generator) newAudit(t time.Time) audit {
	r := g.r
	o := pick(r, auditOps)
	return audit{
		t: t, op: o.op, category: o.category, opType: o.opType, targetType: o.targetType, property: o.property,
		oldValue: o.oldValue, newValue: o.newValue, success: r.IntN(50) > 0,
		actor: &g.p.users[r.IntN(len(g.p.users))], target: &g.p.users[r.IntN(len(g.p.users))],
	}
}

func (g *generator) writeAudit(d *doc, a *audit) {
	d.open("")
	d.time("@timestamp", a.t)
	d.open("azure")
	d.open("auditlogs")
	d.str("identity", a.actor.full)
	d.str("operation_name", a.op)
	d.open("properties")
	d.str("category", a.category)
	d.str("correlation_id", uuid(g.r))
	d.str("operation_type", a.opType)
	d.open("target_resources")
	d.open("0")
	d.str("display_name", a.target.full)
	d.open("modified_properties")
	d.open("0")
	d.str("display_name", a.property)
	d.str("new_value", a.newValue)
	d.str("old_value", a.oldValue)
	d.close()
	d.close()
	d.str("type", a.targetType)
	d.close()
	d.close()
	d.close()
	d.close()
	d.close()
	dataStream(d, "azure.auditlogs")
	d.open("event")
	d.str("action", a.op)
	d.strs("category", "iam")
	d.str("dataset", "azure.auditlogs")
	d.time("ingested", g.ingested(a.t))
	if a.success {
		d.str("outcome", "success")
	} else {
		d.str("outcome", "failure")
	}
	d.close()
	d.open("user")
	d.str("name", a.actor.name)
	d.close()
	d.close()
}
