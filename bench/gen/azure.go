package gen

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// An Azure activity-log operation and the kind of resource it acts on.
type operation struct {
	name     string // operationName, upper case as Event Hub exports write ARM operations
	provider string // resource type, e.g. MICROSOFT.COMPUTE/VIRTUALMACHINES; "" for a resource group
	resource func(r *rand.Rand) string
	weight   int
	// watched operations are the ones detection rules alert on when they
	// succeed: background traffic only has their Start, Accept and Failure
	// records, planted events have the Success.
	watched bool
}

func vmName(r *rand.Rand) string {
	return pick(r, []string{"WEB", "API", "SQL", "JUMP", "BUILD", "APP"}) + "-VM-" + pad(strconv.Itoa(r.IntN(40)), 2)
}

func storageName(r *rand.Rand) string {
	return pick(r, []string{"CONTOSODATA", "CONTOSOLOGS", "FABRIKAMBACKUP", "CONTOSOWEB"}) + pad(strconv.Itoa(r.IntN(20)), 2)
}

func named(prefix string, n int) func(r *rand.Rand) string {
	return func(r *rand.Rand) string { return prefix + pad(strconv.Itoa(r.IntN(n)), 2) }
}

func vmChild(child ...string) func(r *rand.Rand) string {
	return func(r *rand.Rand) string { return vmName(r) + "/" + pick(r, child) }
}

const (
	computeVMs = "MICROSOFT.COMPUTE/VIRTUALMACHINES"
	storage    = "MICROSOFT.STORAGE/STORAGEACCOUNTS"
)

// backgroundOps is the everyday traffic of a subscription, weighted.
var backgroundOps = []operation{
	{"MICROSOFT.COMPUTE/VIRTUALMACHINES/WRITE", computeVMs, vmName, 120, false},
	{"MICROSOFT.COMPUTE/VIRTUALMACHINES/START/ACTION", computeVMs, vmName, 60, false},
	{"MICROSOFT.COMPUTE/VIRTUALMACHINES/DEALLOCATE/ACTION", computeVMs, vmName, 60, false},
	{"MICROSOFT.COMPUTE/VIRTUALMACHINES/RESTART/ACTION", computeVMs, vmName, 30, false},
	{"MICROSOFT.COMPUTE/DISKS/WRITE", "MICROSOFT.COMPUTE/DISKS", named("OSDISK-", 60), 50, false},
	{"MICROSOFT.COMPUTE/SNAPSHOTS/WRITE", "MICROSOFT.COMPUTE/SNAPSHOTS", named("SNAP-NIGHTLY-", 30), 20, false},
	{"MICROSOFT.NETWORK/NETWORKINTERFACES/WRITE", "MICROSOFT.NETWORK/NETWORKINTERFACES", named("NIC-", 80), 50, false},
	{"MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/WRITE", "MICROSOFT.NETWORK/NETWORKSECURITYGROUPS", named("NSG-APP-", 20), 25, false},
	{"MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/SECURITYRULES/WRITE", "MICROSOFT.NETWORK/NETWORKSECURITYGROUPS",
		func(r *rand.Rand) string {
			return named("NSG-APP-", 20)(r) + "/SECURITYRULES/ALLOW-" + pick(r, []string{"HTTPS", "SSH", "RDP", "LB"})
		}, 25, false},
	{"MICROSOFT.NETWORK/PUBLICIPADDRESSES/WRITE", "MICROSOFT.NETWORK/PUBLICIPADDRESSES", named("PIP-", 30), 15, false},
	{"MICROSOFT.STORAGE/STORAGEACCOUNTS/WRITE", storage, storageName, 40, false},
	{"MICROSOFT.STORAGE/STORAGEACCOUNTS/BLOBSERVICES/WRITE", storage, func(r *rand.Rand) string { return storageName(r) + "/BLOBSERVICES/DEFAULT" }, 15, false},
	{"MICROSOFT.WEB/SITES/WRITE", "MICROSOFT.WEB/SITES", named("CONTOSO-PORTAL-", 10), 30, false},
	{"MICROSOFT.WEB/SITES/RESTART/ACTION", "MICROSOFT.WEB/SITES", named("CONTOSO-PORTAL-", 10), 20, false},
	{"MICROSOFT.WEB/SITES/CONFIG/WRITE", "MICROSOFT.WEB/SITES", func(r *rand.Rand) string { return named("CONTOSO-PORTAL-", 10)(r) + "/CONFIG/WEB" }, 15, false},
	{"MICROSOFT.KEYVAULT/VAULTS/WRITE", "MICROSOFT.KEYVAULT/VAULTS", named("KV-PROD-", 8), 15, false},
	{"MICROSOFT.RESOURCES/DEPLOYMENTS/WRITE", "MICROSOFT.RESOURCES/DEPLOYMENTS", named("PIPELINE-RELEASE-", 99), 60, false},
	{"MICROSOFT.RESOURCES/DEPLOYMENTS/VALIDATE/ACTION", "MICROSOFT.RESOURCES/DEPLOYMENTS", named("PIPELINE-RELEASE-", 99), 30, false},
	{"MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE", "MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS", func(r *rand.Rand) string { return strings.ToUpper(hex(r, 32)) }, 10, false},
	{"MICROSOFT.AUTHORIZATION/LOCKS/WRITE", "MICROSOFT.AUTHORIZATION/LOCKS", named("DO-NOT-DELETE-", 10), 5, false},
	{"MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/WRITE", "MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS", named("TO-EVENTHUB-", 5), 10, false},
	{"MICROSOFT.SQL/SERVERS/DATABASES/WRITE", "MICROSOFT.SQL/SERVERS", func(r *rand.Rand) string {
		return named("SQL-PROD-", 5)(r) + "/DATABASES/" + pick(r, []string{"ORDERS", "USERS", "BILLING"})
	}, 20, false},
	{"MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/WRITE", "MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS", named("AKS-", 6), 15, false},
	{"MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/LISTCLUSTERUSERCREDENTIAL/ACTION", "MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS", named("AKS-", 6), 15, false},
	// Operations rules watch: only their unsuccessful or unfinished records.
	{"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION", computeVMs, vmName, 20, true},
	{"MICROSOFT.COMPUTE/VIRTUALMACHINES/EXTENSIONS/WRITE", computeVMs, vmChild("EXTENSIONS/MICROSOFTMONITORINGAGENT", "EXTENSIONS/AZUREPOLICYFORLINUX", "EXTENSIONS/MDE.WINDOWS"), 20, true},
	{"MICROSOFT.STORAGE/STORAGEACCOUNTS/LISTKEYS/ACTION", storage, storageName, 20, true},
	{"MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/DELETE", "MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS", named("TO-EVENTHUB-", 5), 2, true},
}

// Operations planted to succeed, by the rule they make alert.
var (
	opRunCommand     = operation{"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION", computeVMs, vmName, 0, true}
	opListKeys       = operation{"MICROSOFT.STORAGE/STORAGEACCOUNTS/LISTKEYS/ACTION", storage, storageName, 0, true}
	opDiagDelete     = operation{"MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/DELETE", "MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS", named("TO-EVENTHUB-", 5), 0, true}
	opManagedRunCmd  = operation{"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMANDS/WRITE", computeVMs, vmChild("RUNCOMMANDS/PATCH-CHECK", "RUNCOMMANDS/INVENTORY"), 0, true}
	opRGDelete       = operation{"MICROSOFT.RESOURCES/SUBSCRIPTIONS/RESOURCEGROUPS/DELETE", "", nil, 0, true}
	opCustomScript   = operation{"MICROSOFT.COMPUTE/VIRTUALMACHINES/EXTENSIONS/WRITE", computeVMs, vmChild("EXTENSIONS/CUSTOMSCRIPTEXTENSION"), 0, true}
	opRegenerateKey  = operation{"MICROSOFT.STORAGE/STORAGEACCOUNTS/REGENERATEKEY/ACTION", storage, storageName, 0, true}
	opFirewallDelete = operation{"MICROSOFT.NETWORK/FIREWALLPOLICIES/DELETE", "MICROSOFT.NETWORK/FIREWALLPOLICIES", named("FWPOLICY-", 4), 0, true}
	opRunbookWrite   = operation{"MICROSOFT.AUTOMATION/AUTOMATIONACCOUNTS/RUNBOOKS/WRITE", "MICROSOFT.AUTOMATION/AUTOMATIONACCOUNTS",
		func(r *rand.Rand) string {
			return named("AUTOMATION-", 3)(r) + "/RUNBOOKS/" + pick(r, []string{"CLEANUP", "ROTATE", "SYNC"})
		}, 0, true}
	opSuppression = operation{"MICROSOFT.SECURITY/ALERTSSUPPRESSIONRULES/WRITE", "MICROSOFT.SECURITY/ALERTSSUPPRESSIONRULES", named("IGNORE-", 9), 0, true}
	opEventHubDel = operation{"MICROSOFT.EVENTHUB/NAMESPACES/EVENTHUBS/DELETE", "MICROSOFT.EVENTHUB/NAMESPACES",
		func(r *rand.Rand) string { return named("EH-LOGS-", 3)(r) + "/EVENTHUBS/INSIGHTS-ACTIVITY-LOGS" }, 0, true}
	opBootDiag = operation{"MICROSOFT.COMPUTE/VIRTUALMACHINES/RETRIEVEBOOTDIAGNOSTICSDATA/ACTION", computeVMs, vmName, 0, true}
	opCapture  = operation{"MICROSOFT.NETWORK/NETWORKWATCHERS/PACKETCAPTURES/WRITE", "MICROSOFT.NETWORK/NETWORKWATCHERS",
		func(r *rand.Rand) string {
			return "NETWORKWATCHER_" + strings.ToUpper(pick(r, locations)) + "/PACKETCAPTURES/CAP-" + pad(strconv.Itoa(r.IntN(99)), 2)
		}, 0, true}
)

var backgroundOpTotal = func() int {
	n := 0
	for _, op := range backgroundOps {
		n += op.weight
	}
	return n
}()

func (g *generator) backgroundOp() operation {
	w := g.r.IntN(backgroundOpTotal)
	for _, op := range backgroundOps {
		if w < op.weight {
			return op
		}
		w -= op.weight
	}
	panic("unreachable")
}

// activity is one activity-log record, rendered as the raw record of an
// Event Hub export or as the ECS document Elastic's integration makes of it.
type activity struct {
	t           time.Time
	op          string
	result      string // Start, Accept, Success or Failure
	sub         *subscription
	group       string
	provider    string
	name        string
	caller      *user // nil: a service principal
	appID       string
	role        string
	ip          string
	correlation string
	location    string
	durationMs  int
}

var roles = []string{"Contributor", "Owner", "Virtual Machine Contributor", "Storage Account Contributor", "Network Contributor"}

// Applications that act as service principals: Azure CLI, an Azure DevOps
// pipeline, Azure Policy, a Terraform identity.
var spApps = []string{"04b07795-8ddb-461a-bbee-02f9e1bf7b46", "499b84ac-1321-427f-aa17-267ca6975798",
	"6b1e3a55-9c2f-4d3b-8e41-0d4f6a7b8c90", "1d6e07a4-2b3c-4f5a-9b8c-7d6e5f4a3b2c"}

func (g *generator) newActivity(t time.Time, op operation, result string, byUser bool) activity {
	r := g.r
	sub := &g.p.subs[r.IntN(len(g.p.subs))]
	a := activity{
		t: t, op: op.name, result: result, sub: sub, group: pick(r, sub.groups), provider: op.provider,
		role: pick(r, roles), ip: publicIP(r), correlation: uuid(r), location: pick(r, locations),
	}
	if op.resource != nil {
		a.name = op.resource(r)
	}
	if byUser || r.IntN(3) > 0 {
		a.caller = &g.p.users[r.IntN(len(g.p.users))]
	} else {
		a.appID = pick(r, spApps)
	}
	if result != "Start" {
		a.durationMs = r.IntN(6000)
	}
	return a
}

// backgroundResult draws the record's place in an operation's life.
func (g *generator) backgroundResult(op operation) string {
	n := g.r.IntN(100)
	switch {
	case n < 40:
		return "Start"
	case n < 50:
		return "Accept"
	case n < 60 || op.watched:
		return "Failure"
	}
	return "Success"
}

func (a *activity) resourceID() string {
	id := "/SUBSCRIPTIONS/" + a.sub.upper + "/RESOURCEGROUPS/" + a.group
	if a.provider != "" {
		id += "/PROVIDERS/" + a.provider + "/" + a.name
	}
	return id
}

func (a *activity) signature() (sig, status string) {
	switch a.result {
	case "Start":
		return "Started.", ""
	case "Accept":
		return "Accepted.", "Accepted"
	case "Success":
		if strings.HasSuffix(a.op, "/WRITE") {
			return "Succeeded.Created", "Created"
		}
		return "Succeeded.", "OK"
	}
	return "Failed.Forbidden", "Forbidden"
}

func (a *activity) principalID() string {
	if a.caller != nil {
		return a.caller.principalID
	}
	return strings.ReplaceAll(a.appID, "-", "")
}

// writeRaw writes the record as Azure's diagnostic settings export it
// (the authorization scope and action, and most JWT claims, left out).
func (g *generator) writeRaw(d *doc, a *activity) {
	sig, status := a.signature()
	d.open("")
	d.rawTime("time", a.t)
	d.str("resourceId", a.resourceID())
	d.str("operationName", a.op)
	d.str("category", "Administrative")
	d.str("resultType", a.result)
	d.str("resultSignature", sig)
	d.int("durationMs", int64(a.durationMs))
	d.str("callerIpAddress", a.ip)
	d.str("correlationId", a.correlation)
	d.open("identity")
	d.open("authorization")
	d.open("evidence")
	d.str("role", a.role)
	d.str("principalId", a.principalID())
	if a.caller != nil {
		d.str("principalType", "User")
	} else {
		d.str("principalType", "ServicePrincipal")
	}
	d.close()
	d.close()
	d.open("claims")
	if a.caller != nil {
		d.str("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name", a.caller.upn)
	} else {
		d.str("appid", a.appID)
	}
	d.close()
	d.close()
	if a.result == "Failure" {
		d.str("level", "Error")
	} else {
		d.str("level", "Information")
	}
	d.str("location", a.location)
	if status != "" {
		d.open("properties")
		d.str("statusCode", status)
		d.close()
	}
	d.close()
}

// writeECS writes the record as the azure integration's activitylogs
// pipeline indexes it (main line, ECS 8.11), with the fields rules and
// triage read; the claims, correlation and geo fields are left out to keep
// events near the size the project measures with.
func (g *generator) writeECS(d *doc, a *activity) {
	d.open("")
	d.time("@timestamp", a.t)
	d.open("azure")
	d.open("activitylogs")
	d.open("identity")
	d.open("authorization")
	d.open("evidence")
	if a.caller != nil {
		d.str("principal_type", "User")
	} else {
		d.str("principal_type", "ServicePrincipal")
	}
	d.close()
	d.close()
	d.close()
	d.str("operation_name", a.op)
	d.str("result_type", a.result)
	d.close()
	d.open("resource")
	d.str("group", a.group)
	d.str("id", a.resourceID())
	if a.provider != "" {
		d.str("name", a.name)
	}
	d.close()
	d.close()
	dataStream(d, "azure.activitylogs")
	d.open("event")
	d.str("action", a.op)
	d.str("dataset", "azure.activitylogs")
	d.int("duration", int64(a.durationMs)*1_000_000)
	d.time("ingested", g.ingested(a.t))
	switch a.result {
	case "Success":
		d.str("outcome", "success")
	case "Failure":
		d.str("outcome", "failure")
	}
	d.close()
	d.open("source")
	d.str("ip", a.ip)
	d.close()
	if a.caller != nil {
		d.open("user")
		d.str("name", a.caller.name)
		d.close()
	}
	d.close()
}

func dataStream(d *doc, dataset string) {
	d.open("data_stream")
	d.str("dataset", dataset)
	d.str("namespace", "default")
	d.str("type", "logs")
	d.close()
}
