package export

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/vm"
)

func TestVagrantRendersLab(t *testing.T) {
	lab := newLab(t)
	out := filepath.Join(t.TempDir(), "export")
	opts := testOptions(t)
	opts.Accel = vm.AccelTCG
	if err := Vagrant(context.Background(), lab, out, opts); err != nil {
		t.Fatal(err)
	}
	vf := read(t, filepath.Join(out, "Vagrantfile"))
	for _, want := range []string{
		`config.vm.define "web" do |m|`,
		`config.vm.define "client" do |m|`,
		`m.vm.box = "vlab/debian-12-abababababab"`,
		`m.ssh.port = 42200`,
		`libvirt__network_name: "shop-lab"`,
		`lv.driver = "qemu"`,
		`lv.default_prefix = "shop-"`,
		`m.vm.provision "file", source: "files/web/01-puppet", destination: "/tmp/vlab-upload-01"`,
		`m.vm.provision "shell", name: "step-1", path: "provision/web/01-step-1.sh"`,
		`m.vm.provision "file", source: "files/web/03/nginx.conf", destination: "/tmp/vlab-upload-03"`,
		`m.vm.provision "shell", name: "restart nginx", path: "provision/web/04-restart-nginx.sh"`,
		`m.vm.provision "shell", name: "trigger-load", path: "provision/client/90-trigger-load.sh"`,
		`FileUtils.cp(File.expand_path("boot/abababababab/vmlinuz", __dir__), "/var/tmp/vlab-boot-abababababab/vmlinuz")`,
		`vlab.ip.eth1=10.77.0.11/24`,
	} {
		if !strings.Contains(vf, want) {
			t.Errorf("Vagrantfile lacks %s", want)
		}
	}
	if strings.Contains(vf, "box_url") {
		t.Error("Vagrantfile names a box file, but boxes were not asked for")
	}
	for file, want := range map[string]string{
		"provision/web/00-hosts.sh":             "echo web > /etc/hostname\ngrep -q ' web$' /etc/hosts || echo '10.77.0.10 web' >> /etc/hosts\n",
		"provision/web/01-step-1.sh":            "mv /tmp/vlab-upload-01 /var/lib/vlab/puppet/v1\ncd /var/lib/vlab/puppet/v1\npuppet apply --detailed-exitcodes --modulepath=modules manifests/site.pp || [ $? -eq 2 ]\n",
		"provision/web/02-step-2.sh":            "apt-get install -y -q --allow-downgrades nginx=1.22.1-9\n",
		"provision/web/03-step-3.sh":            "mv /tmp/vlab-upload-03 /etc/nginx/nginx.conf\nchmod 0644 /etc/nginx/nginx.conf\nchown -R root:root /etc/nginx/nginx.conf\n",
		"provision/client/90-trigger-load.sh":   "systemd-run --unit=vlab-trigger-load sh -c 'curl -s http://web/ >/dev/null'\n",
		"files/web/01-puppet/manifests/site.pp": "include shop\n", // the tag, not the working tree
		"files/web/03/nginx.conf":               "worker_processes 2;\n",
		"boot/abababababab/initrd.img":          "initrd",
		"injects/01-first-alert.md":             "# 5xx above 5%\n\nat 0s, alert\n\nUsers see 502.\n",
		"probes/pages.sh":                       "out=$(vagrant ssh client -c 'curl -s -o /dev/null -w '\\''%{http_code}'\\'' http://web/' 2>/dev/null); code=$?\n",
		"check.sh":                              "for p in probes/*.sh;",
		"README.md":                             "# Shop down\n\nThe shop answered 502.\n",
		"lab/lab.yaml":                          "name: shop\n",
	} {
		if got := read(t, filepath.Join(out, file)); !strings.Contains(got, want) {
			t.Errorf("%s lacks %q; it is:\n%s", file, want, got)
		}
	}
	wantModes(t, out, map[string]os.FileMode{
		"id_ed25519":                   0o600,
		"Vagrantfile":                  0o644,
		"provision/web/01-step-1.sh":   0o755,
		"check.sh":                     0o755,
		"probes/pages.sh":              0o755,
		"injects/01-first-alert.md":    0o644,
		"README.md":                    0o644,
		"files/web/01-puppet/bin/tool": 0o755,
		"files/web/01-puppet/modules":  os.ModeDir | 0o755,
		"files/web/01-puppet/site.pp":  os.ModeSymlink | 0o777,
	})
}

func TestVagrantRefusesDirInsideLab(t *testing.T) {
	lab := newLab(t)
	outside := t.TempDir()
	if err := os.Symlink(lab.Dir, filepath.Join(outside, "to-lab")); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{
		lab.Dir,
		filepath.Join(lab.Dir, "export"),
		filepath.Join(lab.Dir, "files", "a", "b"),
		filepath.Join(outside, "to-lab", "export"),                  // through a symlink
		filepath.Join(outside, "to-lab", "files") + "/../../shop/x", // `..` after a symlink
	} {
		t.Run(dir, func(t *testing.T) {
			err := Vagrant(context.Background(), lab, dir, testOptions(t))
			if !errors.Is(err, errInsideLab) || !strings.Contains(err.Error(), "choose a folder outside it") {
				t.Fatalf("got %v, want a refusal of a folder inside the lab", err)
			}
			if _, err := os.Stat(filepath.Join(lab.Dir, "export")); err == nil {
				t.Error("the refused export left a folder in the lab")
			}
		})
	}
}

func TestVagrantRefusesNonEmptyDir(t *testing.T) {
	lab := newLab(t)
	out := t.TempDir()
	write(t, filepath.Join(out, "keep"), "mine", 0o644)
	err := Vagrant(context.Background(), lab, out, testOptions(t))
	if err == nil || !strings.Contains(err.Error(), "is not empty") {
		t.Fatalf("got %v, want a refusal of a folder that is not empty", err)
	}
	if read(t, filepath.Join(out, "keep")) != "mine" {
		t.Error("the refused export touched the folder")
	}
}

func TestVagrantRefusesSymlinkOutOfLab(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret")
	write(t, secret, "host secret\n", 0o600)
	for _, tt := range []struct {
		name string
		edit func(lab *labfile.Lab) // after validation: the export checks by itself
	}{
		{"in the lab folder", func(*labfile.Lab) {}},
		{"as a file step's src", func(lab *labfile.Lab) { lab.VMs[0].Provision[2].File.Src = "files/leak" }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			lab := newLab(t)
			if err := os.Symlink(secret, filepath.Join(lab.Dir, "files", "leak")); err != nil {
				t.Fatal(err)
			}
			tt.edit(lab)
			out := filepath.Join(t.TempDir(), "export")
			err := Vagrant(context.Background(), lab, out, testOptions(t))
			if err == nil || !strings.Contains(err.Error(), filepath.Join(lab.Dir, "files", "leak")+" is a symlink that leaves the lab folder") {
				t.Fatalf("got %v, want a refusal naming files/leak", err)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("the failed export left its folder behind")
			}
		})
	}
}

func TestVagrantCopiesWithSensibleModes(t *testing.T) {
	lab := newLab(t)
	files := filepath.Join(lab.Dir, "files")
	write(t, filepath.Join(files, "private.conf"), "key\n", 0o600)
	write(t, filepath.Join(files, "tool"), "#!/bin/sh\n", 0o777)
	write(t, filepath.Join(files, "suid"), "#!/bin/sh\n", 0o755)
	if err := os.Chmod(filepath.Join(files, "suid"), 0o4755|os.ModeSetuid); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("private.conf", filepath.Join(files, "link.conf")); err != nil {
		t.Fatal(err)
	}
	lab.VMs[0].Provision[2].File.Src = "files/link.conf"
	out := filepath.Join(t.TempDir(), "export")
	if err := Vagrant(context.Background(), lab, out, testOptions(t)); err != nil {
		t.Fatal(err)
	}
	wantModes(t, out, map[string]os.FileMode{
		"files/web/03/link.conf": 0o600, // a symlink inside the lab: its file, at its mode
		"lab/files/link.conf":    0o600,
		"lab/files/private.conf": 0o600,
		"lab/files/tool":         0o755,
		"lab/files/suid":         0o755,
		"lab/files/nginx.conf":   0o644,
		"lab/files":              os.ModeDir | 0o755,
	})
	if got := read(t, filepath.Join(out, "files/web/03/link.conf")); got != "key\n" {
		t.Errorf("files/web/03/link.conf is %q, want the linked file's content", got)
	}
}

func TestVagrantRefusesSymlinkedFolder(t *testing.T) {
	lab := newLab(t)
	if err := os.Symlink("files", filepath.Join(lab.Dir, "more")); err != nil {
		t.Fatal(err)
	}
	err := Vagrant(context.Background(), lab, filepath.Join(t.TempDir(), "x"), testOptions(t))
	if err == nil || !strings.Contains(err.Error(), "is a symlink to a folder") {
		t.Fatalf("got %v, want a refusal of a symlinked folder", err)
	}
}

func TestProbeScriptKeepsCommandInComment(t *testing.T) {
	s := probeScript("web", "true\ntouch /tmp/pwned", "", nil)
	lines := strings.Split(s, "\n")
	if lines[1] != "# Runs in web: true touch /tmp/pwned" || !strings.HasPrefix(lines[2], "cd ") {
		t.Fatalf("a probe's command left its comment in the host script:\n%s", s)
	}
}

func TestVagrantUnknownImage(t *testing.T) {
	lab := newLab(t)
	lab.VMs[1].Image = "debian-13"
	err := Vagrant(context.Background(), lab, filepath.Join(t.TempDir(), "x"), testOptions(t))
	if err == nil || !strings.Contains(err.Error(), "vm client: ") || !strings.Contains(err.Error(), "vlab images build debian-13") {
		t.Fatalf("got %v, want the missing image and how to build it", err)
	}
}

// TestTypedProbeExported: a typed probe has no command for vagrant ssh to
// run (which would open a shell); its script says it is skipped.
func TestTypedProbeExported(t *testing.T) {
	lab := newLab(t)
	lab.Probes = append(lab.Probes, labfile.Probe{Name: "health", VM: "web", HTTP: &labfile.HTTPProbe{URL: "http://127.0.0.1/"}})
	out := filepath.Join(t.TempDir(), "export")
	if err := Vagrant(context.Background(), lab, out, testOptions(t)); err != nil {
		t.Fatal(err)
	}
	s := read(t, filepath.Join(out, "probes", "health.sh"))
	if strings.Contains(s, "vagrant ssh") || !strings.Contains(s, "SKIP $(basename $0 .sh): a http probe; only vlab check runs it") {
		t.Fatalf("script of a typed probe:\n%s", s)
	}
}

// TestObserverNamedInExport: an export cannot keep the trainee out of the
// observer, so the Vagrantfile and the README say which machine it is and
// why to leave it alone; the other machines carry no such note.
func TestObserverNamedInExport(t *testing.T) {
	lab := newLab(t)
	lab.VMs = append(lab.VMs, labfile.VM{Name: "watch", Image: lab.VMs[0].Image, Memory: 256, CPUs: 1, Observer: true})
	out := filepath.Join(t.TempDir(), "export")
	if err := Vagrant(context.Background(), lab, out, testOptions(t)); err != nil {
		t.Fatal(err)
	}
	vf := read(t, filepath.Join(out, "Vagrantfile"))
	note := "  # The lab's observer: it runs the users' traffic"
	if i, j := strings.Index(vf, note), strings.Index(vf, `config.vm.define "watch"`); i < 0 || j < i || strings.Count(vf, note) != 1 {
		t.Errorf("the observer's note is not (only) above its machine:\n%s", vf)
	}
	if readme := read(t, filepath.Join(out, "README.md")); !strings.Contains(readme, "`watch` is the lab's observer") {
		t.Errorf("README does not name the observer:\n%s", readme)
	}
}
