package gen

// Planted events: each is written to satisfy one rule's query (and may
// satisfy others: a high-risk sign-in is also a risky user's). Weights are
// per plantUnits lines drawn; they add up to about one event in a hundred.

// Rule files the plants target: Vigil's built-in pack, and query rules of
// Elastic's detection-rules corpus.
const (
	builtin = "rules/azure/"
	corpus  = "detection-rules/rules/"
	azure   = corpus + "integrations/azure/"
)

type activityPlant struct {
	rule   string
	op     operation
	weight int
}

// activityPlants succeed at an operation a rule watches. The raw data set
// of `vigil normalize` plants them too.
var activityPlants = []activityPlant{
	{builtin + "execution_vm_run_command.toml", opRunCommand, 300},
	{builtin + "credential_access_storage_account_keys_listed.toml", opListKeys, 40},
	{builtin + "defense_evasion_diagnostic_settings_deleted.toml", opDiagDelete, 40},
	{builtin + "execution_vm_managed_run_command_written.toml", opManagedRunCmd, 40},
	{builtin + "impact_resource_group_deleted.toml", opRGDelete, 40},
	// By a user, on CUSTOMSCRIPTEXTENSION: also Elastic's
	// persistence_azure_vm_extension_deployment_by_interactive_user.
	{builtin + "persistence_vm_extension_written.toml", opCustomScript, 40},
	{azure + "credential_access_storage_account_key_regenerated.toml", opRegenerateKey, 30},
	{azure + "defense_evasion_network_firewall_policy_deletion.toml", opFirewallDelete, 30},
	{azure + "execution_automation_runbook_created_or_modified.toml", opRunbookWrite, 30},
	{azure + "defense_evasion_security_alert_suppression_rule_created.toml", opSuppression, 30},
	{azure + "defense_evasion_event_hub_deletion.toml", opEventHubDel, 30},
	{azure + "credential_access_azure_vm_boot_diagnostics_retrieved_unusual_principal.toml", opBootDiag, 30},
	{azure + "credential_access_network_full_network_packet_capture_detected.toml", opCapture, 30},
}

var rawPlantTotal = func() int {
	n := 0
	for _, p := range activityPlants {
		n += p.weight
	}
	return n
}()

// rawRunCommandWeight plants, in a mixed data set, whole Run Command
// operations as raw records (Start, Accept, Success in one envelope).
const rawRunCommandWeight = 50

type plant struct {
	rule   string
	weight int
	write  func(g *generator, rule string)
}

var plants = func() []plant {
	var ps []plant
	for _, ap := range activityPlants {
		op := ap.op
		ps = append(ps, plant{ap.rule, ap.weight, func(g *generator, rule string) {
			a := g.newActivity(g.now(), op, "Success", op.name == opCustomScript.name)
			g.writeECS(&g.d, &a)
			g.stats.Planted[rule]++
			g.emit("azure.activitylogs", 1)
		}})
	}
	return append(ps,
		plant{builtin + "execution_vm_run_command.toml", rawRunCommandWeight, func(g *generator, rule string) {
			g.runCommandTriple(g.now(), rule)
		}},
		plantSignin(azure+"initial_access_entra_id_high_risk_signin.toml", 40, func(s *signin) {
			s.riskLevel, s.riskState = "high", "atRisk"
		}),
		plantSignin(azure+"initial_access_entra_id_powershell_signin.toml", 40, func(s *signin) {
			s.app = app{"Azure Active Directory PowerShell", "1b730954-1685-4b74-9bfd-dac224a7b894",
				"Windows Azure Active Directory", "00000002-0000-0000-c000-000000000000"}
		}),
		plantSignin(azure+"initial_access_entra_id_kali365_user_agent.toml", 20, func(s *signin) {
			s.ua = "kali365-live/2.1"
		}),
		plantAudit(azure+"persistence_entra_id_mfa_disabled_for_user.toml", 30, func(a *audit) {
			a.op, a.category, a.property, a.oldValue, a.newValue = "Disable Strong Authentication", "UserManagement",
				"StrongAuthenticationRequirement", `[{"State":1}]`, "[]"
		}),
		plantAudit(azure+"persistence_entra_id_application_credential_modification.toml", 30, func(a *audit) {
			a.op, a.category, a.targetType, a.property, a.oldValue, a.newValue = "Update application - Certificates and secrets management",
				"ApplicationManagement", "Application", "KeyDescription", "[]", `["[KeyIdentifier=5b3f,KeyType=Password,KeyUsage=Verify,DisplayName=ci]"]`
		}),
		plantAudit(azure+"persistence_entra_id_global_administrator_role_assigned.toml", 30, func(a *audit) {
			a.op, a.category, a.opType, a.property, a.oldValue, a.newValue = "Add member to role", "RoleManagement", "Assign",
				"Role.DisplayName", "", `"Global Administrator"`
		}),
		plantProcess(corpus+"cross-platform/privilege_escalation_echo_nopasswd_sudoers.toml", 40,
			program{"echo", "/usr/bin/echo", "bash", "/usr/bin/bash", []string{"deploy ALL=(ALL) NOPASSWD:ALL"}, true}, ""),
		plantProcess(corpus+"linux/privilege_escalation_chroot_execution_container_context.toml", 40,
			program{"chroot", "/usr/sbin/chroot", "runc", "/usr/bin/runc", []string{"/host", "/bin/sh"}, true}, "runc init"),
		// EQL rules (issue #17): single-event queries on Elastic Defend
		// process events, Linux and Windows.
		plantProcess(corpus+"linux/credential_access_gdb_process_hooking.toml", 40,
			program{"gdb", "/usr/bin/gdb", "bash", "/usr/bin/bash", []string{"--pid", "4242", "-batch"}, false}, ""),
		plantWindowsProcess(corpus+"windows/command_and_control_remote_file_copy_desktopimgdownldr.toml", 40,
			program{"desktopimgdownldr.exe", `C:\Windows\System32\desktopimgdownldr.exe`, "cmd.exe", `C:\Windows\System32\cmd.exe`,
				[]string{"/lockscreenurl:https://cdn.example.org/lock.jpg", "/eventName:desktopimgdownldr"}, false}),
	)
}()

func plantSignin(rule string, weight int, edit func(*signin)) plant {
	return plant{rule, weight, func(g *generator, rule string) {
		s := g.newSignin(g.now())
		s.errorCode = 0
		edit(&s)
		g.writeSignin(&g.d, &s)
		g.stats.Planted[rule]++
		g.emit("azure.signinlogs", 1)
	}}
}

func plantAudit(rule string, weight int, edit func(*audit)) plant {
	return plant{rule, weight, func(g *generator, rule string) {
		a := g.newAudit(g.now())
		a.success = true
		edit(&a)
		g.writeAudit(&g.d, &a)
		g.stats.Planted[rule]++
		g.emit("azure.auditlogs", 1)
	}}
}

// plantProcess starts prog on a Linux host.
func plantProcess(rule string, weight int, prog program, title string) plant {
	return plantProcessOn(rule, weight, false, prog, title)
}

// plantWindowsProcess starts prog on a Windows host.
func plantWindowsProcess(rule string, weight int, prog program) plant {
	return plantProcessOn(rule, weight, true, prog, "")
}

func plantProcessOn(rule string, weight int, windows bool, prog program, title string) plant {
	return plant{rule, weight, func(g *generator, rule string) {
		var p process
		for p = g.newProcess(g.now()); p.host.windows != windows; p = g.newProcess(p.t) {
		}
		p.prog, p.end, p.user, p.title = prog, false, nil, title
		g.writeProcess(&g.d, &p)
		g.stats.Planted[rule]++
		g.emit("endpoint.events.process", 1)
	}}
}
