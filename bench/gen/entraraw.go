package gen

import "time"

// Raw Entra ID records, as diagnostic settings export them (the
// resource-log schema, camelCase, properties as Microsoft Graph names
// them): the input of `vigil normalize` for the sign-in and audit streams.

// tenantID is the tenant of the raw Entra ID records.
const tenantID = "9c8b7a6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"

// writeRawSignin writes s as a raw SignInLogs record.
func (g *generator) writeRawSignin(d *doc, s *signin) {
	d.open("")
	d.rawTime("time", s.t.Add(2*time.Second))
	d.str("resourceId", "/tenants/"+tenantID+"/providers/Microsoft.aadiam")
	d.str("operationName", "Sign-in activity")
	d.str("operationVersion", "1.0")
	d.str("category", "SignInLogs")
	d.str("tenantId", tenantID)
	if s.errorCode == 0 {
		d.str("resultType", "0")
		d.str("resultDescription", "")
	} else {
		d.str("resultType", itoa(s.errorCode))
		d.str("resultDescription", "Error validating credentials due to invalid username or password.")
	}
	d.str("resultSignature", "None")
	d.int("durationMs", 0)
	d.str("callerIpAddress", s.ip)
	corr := uuid(g.r)
	d.str("correlationId", corr)
	d.str("identity", s.user.full)
	d.int("Level", 4)
	d.str("location", "AU")
	d.open("properties")
	d.str("id", uuid(g.r))
	d.rawTime("createdDateTime", s.t)
	d.str("userDisplayName", s.user.full)
	d.str("userPrincipalName", s.user.upn)
	d.str("userId", s.user.objectID)
	d.str("appId", s.app.id)
	d.str("appDisplayName", s.app.name)
	d.str("ipAddress", s.ip)
	d.open("status")
	d.int("errorCode", int64(s.errorCode))
	if s.errorCode != 0 {
		d.str("failureReason", "Error validating credentials due to invalid username or password.")
	}
	d.close()
	d.str("clientAppUsed", "Browser")
	d.str("userAgent", s.ua)
	d.open("deviceDetail")
	d.str("deviceId", "")
	d.str("operatingSystem", "Windows10")
	d.str("browser", "Edge 120.0.0")
	d.close()
	d.open("location")
	d.str("city", "Sydney")
	d.str("state", "New South Wales")
	d.str("countryOrRegion", "AU")
	d.close()
	d.str("correlationId", corr)
	d.str("conditionalAccessStatus", "notApplied")
	d.bool("isInteractive", true)
	d.str("authenticationRequirement", "singleFactorAuthentication")
	d.str("resourceDisplayName", s.app.resource)
	d.str("resourceId", s.app.resourceID)
	d.str("riskDetail", "none")
	d.str("riskLevelAggregated", "none")
	d.str("riskLevelDuringSignIn", s.riskLevel)
	d.str("riskState", s.riskState)
	d.str("userType", "Member")
	d.str("tokenIssuerType", s.tokenType)
	d.int("processingTimeInMilliseconds", int64(40+g.r.IntN(200)))
	d.close()
	d.close()
}

// writeRawAudit writes a as a raw AuditLogs record.
func (g *generator) writeRawAudit(d *doc, a *audit) {
	d.open("")
	d.rawTime("time", a.t)
	d.str("resourceId", "/tenants/"+tenantID+"/providers/Microsoft.aadiam")
	d.str("operationName", a.op)
	d.str("operationVersion", "1.0")
	d.str("category", "AuditLogs")
	d.str("tenantId", tenantID)
	if a.success {
		d.str("resultSignature", "None")
	} else {
		d.str("resultSignature", "Failure")
	}
	d.int("durationMs", 0)
	corr := uuid(g.r)
	d.str("correlationId", corr)
	d.str("identity", a.actor.full)
	d.int("Level", 4)
	d.open("properties")
	d.str("id", "Directory_"+uuid(g.r))
	d.str("category", a.category)
	d.str("correlationId", corr)
	if a.success {
		d.str("result", "success")
	} else {
		d.str("result", "failure")
	}
	d.str("resultReason", "")
	d.str("activityDisplayName", a.op)
	d.rawTime("activityDateTime", a.t)
	d.str("loggedByService", "Core Directory")
	d.str("operationType", a.opType)
	d.open("initiatedBy")
	d.open("user")
	d.str("id", a.actor.objectID)
	d.str("displayName", a.actor.full)
	d.str("userPrincipalName", a.actor.upn)
	d.str("ipAddress", publicIP(g.r))
	d.close()
	d.close()
	d.openArray("targetResources")
	d.open("")
	d.str("id", a.target.objectID)
	d.str("displayName", a.target.full)
	d.str("type", a.targetType)
	d.str("userPrincipalName", a.target.upn)
	d.openArray("modifiedProperties")
	d.open("")
	d.str("displayName", a.property)
	d.str("oldValue", a.oldValue)
	d.str("newValue", a.newValue)
	d.close()
	d.closeArray()
	d.close()
	d.closeArray()
	d.openArray("additionalDetails")
	d.open("")
	d.str("key", "User-Agent")
	d.str("value", "Mozilla/5.0 (Windows NT 10.0; Win64; x64)")
	d.close()
	d.closeArray()
	d.close()
	d.close()
}

// rawEntraLine writes one line of a raw Entra ID data set: an envelope of
// one to four sign-in or audit records.
func (g *generator) rawEntraLine(stream string) {
	t := g.now()
	n := min(1+g.r.IntN(4), g.remaining())
	g.d.open("")
	g.d.openArray("records")
	for i := range n {
		ti := t.Add(time.Duration(i*350) * time.Millisecond)
		if stream == RawSignIn {
			s := g.newSignin(ti)
			g.writeRawSignin(&g.d, &s)
		} else {
			a := g.newAudit(ti)
			g.writeRawAudit(&g.d, &a)
		}
	}
	g.d.closeArray()
	g.d.close()
	g.emit("raw azure "+stream, n)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
