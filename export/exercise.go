package export

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// exercise writes the lab's injects and probes as files, a check script
// that runs the probes through `vagrant ssh`, and a README. Scripts run on
// the trainee's machine: lab text reaches them only quoted, or in a comment
// of one line.
func (p *project) exercise() error {
	files := map[string]string{"README.md": p.readme(), "check.sh": checkScript}
	for n, in := range p.lab.Injects {
		var b strings.Builder
		fmt.Fprintf(&b, "# %s\n\nat %s, %s\n\n%s\n", in.Title, time.Duration(in.At), in.Kind, in.Body)
		if in.Attach != "" {
			fmt.Fprintf(&b, "\nattachment: lab/%s\n", in.Attach)
		}
		if in.Live != nil {
			fmt.Fprintf(&b, "\nlive, in %s:\n\n    vagrant ssh %s -c %s\n", in.Live.VM, in.Live.VM, shellQuote(in.Live.Command))
		}
		files[fmt.Sprintf("injects/%02d-%s.md", n+1, unsafeName.ReplaceAllString(in.ID, "-"))] = b.String()
	}
	for _, pr := range p.lab.Probes {
		script := probeScript(pr.VM, pr.Command, pr.Expect.Match, pr.Expect.Exit)
		if t := pr.Type(); t != "command" {
			script = typedProbeScript(t)
		}
		files["probes/"+unsafeName.ReplaceAllString(pr.Name, "-")+".sh"] = script
	}
	for name, body := range files {
		path := filepath.Join(p.dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(name, ".sh") {
			mode = 0o755
		}
		if err := os.WriteFile(path, []byte(body), mode); err != nil {
			return err
		}
	}
	return nil
}

// probeScript runs one probe in its VM and says PASS or FAIL. Value probes
// are checked by their exit status only.
func probeScript(vmName, command, match string, exit *int) string {
	want := 0
	if exit != nil {
		want = *exit
	}
	s := fmt.Sprintf("#!/bin/sh\n# Runs in %s: %s\ncd \"$(dirname \"$0\")/..\"\n", vmName, oneLine(command))
	s += fmt.Sprintf("out=$(vagrant ssh %s -c %s 2>/dev/null); code=$?\n", vmName, shellQuote(command))
	s += fmt.Sprintf("[ $code -eq %d ] || { echo \"FAIL $(basename $0 .sh): exit $code\"; exit 1; }\n", want)
	if match != "" {
		s += fmt.Sprintf("echo \"$out\" | grep -Eq %s || { echo \"FAIL $(basename $0 .sh): output does not match\"; exit 1; }\n", shellQuote(match))
	}
	return s + "echo \"PASS $(basename $0 .sh)\"\n"
}

// typedProbeScript stands for a typed probe (http, tcp, ...), which only
// vlab can judge: it says so and does not count.
func typedProbeScript(kind string) string {
	return fmt.Sprintf("#!/bin/sh\necho \"SKIP $(basename $0 .sh): a %s probe; only vlab check runs it\"\n", oneLine(kind))
}

// oneLine keeps text in a shell comment: a line break would end the
// comment and make the rest a command on the trainee's machine.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r < ' ' {
			return ' '
		}
		return r
	}, s)
}

const checkScript = "#!/bin/sh\n# Runs every probe; exits 1 while the incident is not resolved.\ncd \"$(dirname \"$0\")\"\nrc=0\n" +
	"for p in probes/*.sh; do [ -e \"$p\" ] || continue; sh \"$p\" || rc=1; done\nexit $rc\n"

func (p *project) readme() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n%s\n\nExported by `vlab export %s DIR --vagrant`. It needs only Vagrant and\n", p.lab.Title, p.lab.Summary, p.lab.Name)
	b.WriteString("vagrant-libvirt (`apt-get install vagrant vagrant-libvirt dnsmasq-base`).\n\n")
	b.WriteString("    vagrant up --provider=libvirt   # boots and provisions the VMs\n")
	b.WriteString("    ls injects/                     # what happened, in order: read them as they come\n")
	b.WriteString("    vagrant ssh <vm>                # investigate\n")
	b.WriteString("    ./check.sh                      # is the incident resolved?\n")
	b.WriteString("    vagrant destroy -f              # remove everything\n\n")
	for _, v := range p.lab.VMs {
		if v.Observer {
			fmt.Fprintf(&b, "`%s` is the lab's observer: it plays the users' traffic and, in vlab, runs\n", v.Name)
			b.WriteString("the checks that decide from outside the VMs you work in. vlab keeps\n")
			b.WriteString("trainees out of it; this project cannot, so do not `vagrant ssh` into it:\n")
			b.WriteString("what you change there is not a fix.\n\n")
		}
	}
	b.WriteString("The boxes are in boxes/ and are added on the first `vagrant up`. The lab\n")
	b.WriteString("itself (report, solution) is in lab/. Without KVM, export with `--accel tcg`.\n")
	return b.String()
}
