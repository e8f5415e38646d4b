package provision

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/labfile"
)

func testTree(t *testing.T) PuppetTree {
	archive := filepath.Join(t.TempDir(), "tree.tar.gz")
	if err := os.WriteFile(archive, []byte("tgz"), 0o644); err != nil {
		t.Fatal(err)
	}
	return PuppetTree{
		Repo: "puppet", Revision: "v1", Archive: archive,
		Commit: "0123456789abcdef0123456789abcdef01234567", Tree: "fedcba9876543210fedcba9876543210fedcba98",
	}
}

// puppetSays answers `puppet apply` with out and exit; every other command
// succeeds silently.
func puppetSays(out string, exit int) func(string) (string, int) {
	return func(cmd string) (string, int) {
		if strings.Contains(cmd, "puppet apply") {
			return out, exit
		}
		return "", 0
	}
}

func TestPuppetCommand(t *testing.T) {
	tree := testTree(t)
	got, err := puppetCommand(guestTreeDir(tree), labfile.Puppet{
		Manifest: "manifests/web.pp", ModulePath: []string{"modules", "site/", "/usr/share/puppet/modules"}, Hiera: "hiera.yaml",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "cd /var/lib/vlab/puppet/fedcba9 && puppet apply --detailed-exitcodes --color=false " +
		"--modulepath=/var/lib/vlab/puppet/fedcba9/modules:/var/lib/vlab/puppet/fedcba9/site:/usr/share/puppet/modules " +
		"--hiera_config=/var/lib/vlab/puppet/fedcba9/hiera.yaml /var/lib/vlab/puppet/fedcba9/manifests/web.pp"
	if got != want {
		t.Errorf("command:\n got %s\nwant %s", got, want)
	}
	got, _ = puppetCommand(guestTreeDir(tree), labfile.Puppet{})
	if !strings.HasSuffix(got, "--color=false /var/lib/vlab/puppet/fedcba9/manifests/site.pp") {
		t.Errorf("default manifest: %s", got)
	}
	if _, err := puppetCommand(guestTreeDir(tree), labfile.Puppet{ModulePath: []string{"../outside"}}); err == nil || !strings.Contains(err.Error(), "leaves the puppet tree") {
		t.Errorf("modulepath outside the tree: err = %v", err)
	}
}

func TestApplyPuppetSuccessStatuses(t *testing.T) {
	for _, exit := range []int{0, 2} {
		r := newFakeRunner(puppetSays("Notice: Applied catalog\n", exit))
		tree := testTree(t)
		var out strings.Builder
		if err := ApplyPuppet(context.Background(), r, tree, labfile.Puppet{}, &out); err != nil {
			t.Errorf("exit %d: %v", exit, err)
		}
		if r.uploads["/var/cache/vlab/puppet/"+tree.Tree+".tar.gz"] != tree.Archive {
			t.Errorf("exit %d: uploads = %v, want the tree's archive", exit, r.uploads)
		}
		if !strings.Contains(out.String(), "Applied catalog") {
			t.Errorf("exit %d: verbose output = %q", exit, out.String())
		}
		r.ran(t, "tar -xzf /var/cache/vlab/puppet/"+tree.Tree+".tar.gz -C /var/lib/vlab/puppet/fedcba9", "puppet apply --detailed-exitcodes")
	}
}

const puppetFailure = `Notice: Compiled catalog for web in environment production in 0.02 seconds
Error: /Stage[main]/Main/Exec[migrate]/returns: change from 'notrun' to ['0'] failed: '/bin/false' returned 1 instead of one of [0]
Error: /Stage[main]/Profile::Web/Nginx::Vhost[shop]/File[/etc/nginx/sites-enabled/shop]/ensure: change from 'absent' to 'file' failed: Could not set 'file' on ensure
Notice: /Stage[main]/Main/Service[nginx]: Dependency Exec[migrate] has failures: true
Warning: /Stage[main]/Main/Service[nginx]: Skipping because of failed dependencies
Error: /Stage[main]/Main/Exec[migrate]/returns: again
Notice: Applied catalog in 0.05 seconds
`

func TestApplyPuppetFailure(t *testing.T) {
	r := newFakeRunner(puppetSays(puppetFailure, 6))
	tree := testTree(t)
	err := ApplyPuppet(context.Background(), r, tree, labfile.Puppet{}, nil)
	var pe *PuppetError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want a *PuppetError", err)
	}
	if want := []string{"Exec[migrate]", "File[/etc/nginx/sites-enabled/shop]"}; !reflect.DeepEqual(pe.Resources, want) {
		t.Errorf("resources = %q, want %q", pe.Resources, want)
	}
	msg := err.Error()
	for _, part := range []string{"puppet apply at 0123456 failed with status 6", "Exec[migrate], File[/etc/nginx/sites-enabled/shop]", "pin another"} {
		if !strings.Contains(msg, part) {
			t.Errorf("error %q lacks %q", msg, part)
		}
	}
	var ce *CommandError
	if !errors.As(err, &ce) || ce.Output[len(ce.Output)-1] != "Notice: Applied catalog in 0.05 seconds" || len(ce.Output) != 7 {
		t.Errorf("command error tail = %q, want puppet's last lines", ce.Output)
	}
}

func TestPuppetUnpackFailure(t *testing.T) {
	r := newFakeRunner(func(cmd string) (string, int) {
		if strings.Contains(cmd, "tar -xzf") {
			return "tar: Unexpected EOF in archive\n", 2
		}
		return "", 0
	})
	err := ApplyPuppet(context.Background(), r, testTree(t), labfile.Puppet{}, nil)
	if err == nil || !strings.Contains(err.Error(), "unpack puppet tree at 0123456") {
		t.Errorf("tar's status 2 gave err = %v, want an unpack failure", err)
	}
}

func TestPuppetErrorWithoutResources(t *testing.T) {
	out := "Error: Could not parse for environment production: Syntax error at '}' (file: /var/lib/vlab/puppet/x/manifests/site.pp, line: 3)\n"
	r := newFakeRunner(puppetSays(out, 1))
	err := ApplyPuppet(context.Background(), r, testTree(t), labfile.Puppet{}, nil)
	if err == nil || !strings.Contains(err.Error(), "status 1: Could not parse for environment production: Syntax error") {
		t.Errorf("err = %v, want puppet's error line", err)
	}
	r = newFakeRunner(puppetSays("sh: 1: puppet: not found\n", 127))
	err = ApplyPuppet(context.Background(), r, testTree(t), labfile.Puppet{}, nil)
	if err == nil || !strings.Contains(err.Error(), "the guest image has no puppet") {
		t.Errorf("err = %v, want a hint about the image", err)
	}
}
