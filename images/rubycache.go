package images

import (
	"context"
	"os"
	"path/filepath"
)

// Puppet is Ruby, and every lab's provisioning and every `puppet-run`
// starts it: under TCG a start spent ~24 s compiling Ruby's files before
// puppet did anything (`puppet --version` in a guest). The image keeps
// their compiled code (bootsnap's iseq cache, Debian's ruby-bootsnap),
// compiled here natively, and guest/usr/local/bin/puppet starts puppet
// with it (guest/usr/local/lib/vlab/bootsnap.rb). The cache is keyed by
// each file's path, size and time, so a file a lab upgrades is compiled
// again in the guest and cached there.
const rubyCacheDir = "/var/cache/vlab-ruby"

// rubyDirs hold the Ruby code puppet and facter load: the standard
// library, Debian's Ruby packages and its gems.
var rubyDirs = []string{"/usr/lib/ruby", "/usr/lib/x86_64-linux-gnu/ruby",
	"/usr/lib/x86_64-linux-gnu/rubygems-integration", "/usr/share/rubygems-integration"}

func (b *builder) warmRubyCache(ctx context.Context) error {
	root := b.root()
	argv := []string{"chroot", root, "ruby", "-rmsgpack", "-rbootsnap/cli", "-e", "exit Bootsnap::CLI.new(ARGV).run",
		"precompile", "--cache-dir", rubyCacheDir, "--no-yaml", "--no-json"}
	for _, d := range rubyDirs {
		if _, err := os.Stat(filepath.Join(root, d)); err == nil {
			argv = append(argv, d)
		}
	}
	return b.exec(ctx, argv...)
}
