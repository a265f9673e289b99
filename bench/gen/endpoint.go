package gen

import "time"

// Process events as Elastic Defend writes them to the
// logs-endpoint.events.process-* data stream.

type program struct {
	name, exe   string
	parent      string
	parentExe   string
	args        []string // after the executable
	runsAsAdmin bool
}

var windowsPrograms = []program{
	{"svchost.exe", `C:\Windows\System32\svchost.exe`, "services.exe", `C:\Windows\System32\services.exe`, []string{"-k", "netsvcs", "-p"}, true},
	{"chrome.exe", `C:\Program Files\Google\Chrome\Application\chrome.exe`, "explorer.exe", `C:\Windows\explorer.exe`, []string{"--type=renderer", "--lang=en-US"}, false},
	{"msedge.exe", `C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe`, "explorer.exe", `C:\Windows\explorer.exe`, []string{"--type=utility", "--lang=en-US"}, false},
	{"powershell.exe", `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, "cmd.exe", `C:\Windows\System32\cmd.exe`, []string{"-NoProfile", "-File", `C:\ProgramData\ops\inventory.ps1`}, false},
	{"cmd.exe", `C:\Windows\System32\cmd.exe`, "explorer.exe", `C:\Windows\explorer.exe`, []string{"/c", "dir", `C:\Users\Public`}, false},
	{"conhost.exe", `C:\Windows\System32\conhost.exe`, "cmd.exe", `C:\Windows\System32\cmd.exe`, []string{"0xffffffff", "-ForceV1"}, false},
	{"OneDrive.exe", `C:\Program Files\Microsoft OneDrive\OneDrive.exe`, "explorer.exe", `C:\Windows\explorer.exe`, []string{"/background"}, false},
	{"RuntimeBroker.exe", `C:\Windows\System32\RuntimeBroker.exe`, "svchost.exe", `C:\Windows\System32\svchost.exe`, []string{"-Embedding"}, false},
	{"WmiPrvSE.exe", `C:\Windows\System32\wbem\WmiPrvSE.exe`, "svchost.exe", `C:\Windows\System32\svchost.exe`, []string{"-secured", "-Embedding"}, true},
	{"taskhostw.exe", `C:\Windows\System32\taskhostw.exe`, "svchost.exe", `C:\Windows\System32\svchost.exe`, []string{"KEYROAMING"}, false},
	{"git.exe", `C:\Program Files\Git\cmd\git.exe`, "Code.exe", `C:\Users\Public\AppData\Local\Programs\Microsoft VS Code\Code.exe`, []string{"fetch", "--all"}, false},
}

var linuxPrograms = []program{
	{"bash", "/usr/bin/bash", "sshd", "/usr/sbin/sshd", []string{"--login"}, false},
	{"sudo", "/usr/bin/sudo", "bash", "/usr/bin/bash", []string{"systemctl", "restart", "nginx"}, false},
	{"systemctl", "/usr/bin/systemctl", "sudo", "/usr/bin/sudo", []string{"restart", "nginx"}, true},
	{"python3", "/usr/bin/python3", "systemd", "/usr/lib/systemd/systemd", []string{"/opt/app/worker.py", "--queue", "default"}, false},
	{"curl", "/usr/bin/curl", "bash", "/usr/bin/bash", []string{"-s", "http://localhost:8080/healthz"}, false},
	{"cron", "/usr/sbin/cron", "systemd", "/usr/lib/systemd/systemd", []string{"-f"}, true},
	{"apt-get", "/usr/bin/apt-get", "sudo", "/usr/bin/sudo", []string{"update"}, true},
	{"ps", "/usr/bin/ps", "bash", "/usr/bin/bash", []string{"aux"}, false},
	{"grep", "/usr/bin/grep", "bash", "/usr/bin/bash", []string{"-r", "ERROR", "/var/log/app"}, false},
	{"node", "/usr/local/bin/node", "systemd", "/usr/lib/systemd/systemd", []string{"/srv/api/server.js"}, false},
	{"containerd-shim-runc-v2", "/usr/bin/containerd-shim-runc-v2", "systemd", "/usr/lib/systemd/systemd", []string{"-namespace", "k8s.io", "-address", "/run/containerd/containerd.sock"}, true},
}

// process is one process start or end on a host.
type process struct {
	t     time.Time
	host  *host
	user  *user // nil: SYSTEM or root
	prog  program
	end   bool
	pid   int
	ppid  int
	title string
}

func (g *generator) newProcess(t time.Time) process {
	r := g.r
	h := &g.p.hosts[r.IntN(len(g.p.hosts))]
	p := process{t: t, host: h, end: r.IntN(10) < 3, pid: 1000 + r.IntN(60000), ppid: 300 + r.IntN(20000)}
	if h.windows {
		p.prog = pick(r, windowsPrograms)
	} else {
		p.prog = pick(r, linuxPrograms)
	}
	if !p.prog.runsAsAdmin {
		p.user = &g.p.users[r.IntN(len(g.p.users))]
	}
	return p
}

func (g *generator) writeProcess(d *doc, p *process) {
	h := p.host
	d.open("")
	d.time("@timestamp", p.t)
	d.open("agent")
	d.str("type", "endpoint")
	d.close()
	dataStream(d, "endpoint.events.process")
	d.open("event")
	switch {
	case p.end:
		d.str("action", "end")
	case h.windows:
		d.str("action", "start")
	default:
		d.str("action", "exec")
	}
	d.strs("category", "process")
	d.str("dataset", "endpoint.events.process")
	d.time("ingested", g.ingested(p.t))
	if p.end {
		d.strs("type", "end")
	} else {
		d.strs("type", "start")
	}
	d.close()
	d.open("host")
	d.str("name", h.name)
	d.open("os")
	if h.windows {
		d.str("type", "windows")
	} else {
		d.str("type", "linux")
	}
	d.close()
	d.close()
	d.open("process")
	d.openArray("args")
	if h.windows {
		d.elem(p.prog.exe)
	} else {
		d.elem(p.prog.name)
	}
	for _, a := range p.prog.args {
		d.elem(a)
	}
	d.closeArray()
	d.str("executable", p.prog.exe)
	d.str("name", p.prog.name)
	d.open("parent")
	d.str("name", p.prog.parent)
	d.int("pid", int64(p.ppid))
	d.close()
	d.int("pid", int64(p.pid))
	if p.title != "" {
		d.str("title", p.title)
	}
	d.close()
	d.open("user")
	switch {
	case p.user != nil && h.windows:
		d.str("domain", "CONTOSO")
		d.str("name", p.user.sam)
	case p.user != nil:
		d.str("name", p.user.sam)
	case h.windows:
		d.str("domain", "NT AUTHORITY")
		d.str("name", "SYSTEM")
	default:
		d.str("name", "root")
	}
	d.close()
	d.close()
}
