//go:build integration

package main

import (
	"encoding/json"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vlab-dev/vlab/incident"
)

// TestIntegrationObservedLab proves on real VMs, with one lab of two VMs
// (testdata/observed): the lab network (the VMs reach each other by name,
// the host has no address there); every traffic client mode (a weighted
// URL mix with drawn parts, a rate with a ramp, two source addresses, a
// closed loop without keep-alive, slow clients) and the probe types a base
// image serves (http, tcp, error-rate, latency, throughput from the
// observer; systemd, disk-free and rate inside the trainee's VM); that
// `vlab test` passes it, a workaround reaching mitigated and a cheat that
// makes every tool in the trainee's VM lie not turning the check green;
// that the observer is not the trainee's; that a reset from a warm standby
// brings back what a cold restore does (warmAndColdAgree); and that the
// debrief shows the times to mitigate and to resolve beside the day's.
func TestIntegrationObservedLab(t *testing.T) {
	afterTheLabs(t)
	timed(t)
	const id = "it-observed"
	v := func(args ...string) (int, string, string) {
		return vlab(t, append([]string{"--labs", "testdata", "--warm"}, args...)...)
	}
	must := func(args ...string) string {
		t.Helper()
		code, out, errOut := v(args...)
		if code != 0 {
			t.Fatalf("vlab %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
		return out
	}
	v("destroy", "observed", "-i", id)
	t.Cleanup(func() { v("destroy", "observed", "-i", id) })
	if code, out, errOut := v("test", "observed", "-i", id, "--keep"); code != 0 {
		t.Fatalf("vlab test observed: exit %d\n%s%s", code, out, errOut)
	}

	// web's root disk is the 7G its lab asks for (the image's is 6G), and
	// its /srv a 64M filesystem of its own (a loop device), back from the
	// golden state like the rest.
	if out := must("ssh", "observed", "-i", id, "web", "--", "df -BM --output=size / /srv | tail -n 2 | tr -d ' M'; findmnt -no SOURCE /srv"); !diskSizes(out) {
		t.Errorf("web's disks (root size, /srv size, /srv's device): %q", out)
	}

	// The lab network: web has its address there and knows watch by name;
	// the observer's checks reached web over it; the host is not on it.
	if out := must("ssh", "observed", "-i", id, "web", "--", "ip -4 -o addr show eth1; getent hosts watch"); !strings.Contains(out, "10.77.0.10/24") || !strings.Contains(out, "10.77.0.11") {
		t.Errorf("web on the lab network: %q", out)
	}
	if addrs, _ := exec.Command("ip", "-4", "-o", "addr", "show").CombinedOutput(); strings.Contains(string(addrs), "10.77.") {
		t.Errorf("the host has an address on a lab network:\n%s", addrs)
	}
	if code, _, errOut := v("ssh", "observed", "-i", id, "watch", "--", "true"); code == 0 || !strings.Contains(errOut, "observer") {
		t.Errorf("ssh to the observer: exit %d: %s", code, errOut)
	}

	// The observer is the kit's client role: its knobs reached the guest
	// (the shoppers' two sources are the addresses it added).
	want := "10240\t65000\n1\n4096\n10.77.0.201/24\n10.77.0.202/24\n"
	if out := onObserver(t, id, "sysctl -n net.ipv4.ip_local_port_range net.ipv4.tcp_tw_reuse; systemctl show -p LimitNOFILE --value vlab-trigger-shoppers; "+
		"ip -4 -o addr show eth1 | awk '{print $4}' | grep -v '^10.77.0.11/'"); out != want {
		t.Errorf("the client role's knobs on the observer: %q, want %q", out, want)
	}

	warmAndColdAgree(t, "testdata", "observed", id, "shoppers", "crawler")

	// One attempt (from a warm standby): a workaround mitigates, the fix
	// resolves.
	must("reset", "observed", "-i", id)
	must("ssh", "observed", "-i", id, "web", "--", "systemctl stop shopd; mkdir -p /srv/static/item; echo shop > /srv/static/index.html; "+
		"for i in $(seq 50); do echo item > /srv/static/item/$i; done; systemd-run --unit=stand-in python3 -m http.server 80 --directory /srv/static; sleep 6")
	// Each verdict may take the clients' windows a while to show, as
	// vlab test's settle allows (a loaded CI machine is slow to serve).
	if code, out := checkUntil(v, id, func(code int, out string) bool { return code == 1 && strings.Contains(out, "mitigated, not resolved") }); code != 1 || !strings.Contains(out, "mitigated, not resolved") {
		t.Errorf("check after the workaround: exit %d\n%s", code, out)
	}
	must("ssh", "observed", "-i", id, "web", "--", "systemctl stop stand-in; echo ok > /etc/shop/mode; systemctl start shopd; sleep 6")
	if code, out := checkUntil(v, id, func(code int, _ string) bool { return code == 0 }); code != 0 {
		t.Errorf("check after the fix: exit %d\n%s", code, out)
	}
	var d incident.Debrief
	if err := json.Unmarshal([]byte(must("debrief", "observed", "-i", id, "--json")), &d); err != nil || len(d.Attempts) == 0 {
		t.Fatalf("debrief --json: %v %+v", err, d)
	}
	a := d.Attempts[len(d.Attempts)-1]
	if !a.Mitigated || !a.Resolved || a.MitigateSeconds <= 0 || a.MitigateSeconds >= a.ResolveSeconds ||
		d.OnTheDay == nil || d.OnTheDay.MitigateSeconds != 600 || d.OnTheDay.ResolveSeconds != 1200 {
		t.Errorf("debrief: attempt %+v, on the day %+v", a, d.OnTheDay)
	}

	traineePageInBrowser(t, "testdata", "observed", id)

	uid := instanceUID(t, id)
	must("destroy", "observed", "-i", id)
	if left := leftovers(t, uid); len(left) > 0 {
		t.Errorf("destroy left %v", left)
	}
	if nets, _ := exec.Command("virsh", "-c", "qemu:///system", "net-list", "--all", "--name").CombinedOutput(); strings.Contains(string(nets), "-"+id+"-net-") {
		t.Errorf("destroy left the lab network: %s", nets)
	}
}

// diskSizes tells whether out (df's sizes in MiB of / and /srv, then
// /srv's device) shows a root grown past the image's 6G and a /srv of
// 64M on a loop device.
func diskSizes(out string) bool {
	f := strings.Fields(out)
	if len(f) != 3 {
		return false
	}
	root, err1 := strconv.Atoi(f[0])
	srv, err2 := strconv.Atoi(f[1])
	return err1 == nil && err2 == nil && root > 6400 && root < 7200 && srv > 40 && srv <= 64 && strings.HasPrefix(f[2], "/dev/loop")
}

// checkUntil runs vlab check on the observed lab until ok says its exit
// and output are what the caller waits for, for at most a minute (as
// vlab test's settle), and returns the last ones.
func checkUntil(v func(...string) (int, string, string), id string, ok func(int, string) bool) (int, string) {
	deadline := time.Now().Add(time.Minute)
	for {
		code, out, _ := v("check", "observed", "-i", id)
		if ok(code, out) || time.Now().After(deadline) {
			return code, out
		}
		time.Sleep(6 * time.Second)
	}
}
