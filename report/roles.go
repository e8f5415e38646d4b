package report

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/vlab-dev/vlab/kit"
)

// A Part is a piece of production the report's words point to, and the
// kit role that builds it when the kit has one.
type Part struct {
	// VMs are the names the draft gives the part's machines: two for a
	// database whose report speaks of replicas.
	VMs []string
	// Role is the kit role that builds this part.
	Role string
	// Need says what the part is, for the draft's comments.
	Need string
	// Words are the report's words that point to it, first seen first.
	Words []string
}

// partClues map a report's words to the parts of production. The order is
// the order of the draft's VMs: the edge in front, the data behind.
var partClues = []struct {
	name, role, need string
	re               *regexp.Regexp
}{
	{"cache", "cache", "a cache node: TLS on nginx in front of varnish, the origins from hiera",
		words(`varnish`, `ats`, `trafficserver`, `traffic server`, `cdn`, `content delivery network`, `caches?`, `caching`, `cached`)},
	{"edge", "edge", "a TLS terminator or proxy in front of the application",
		words(`envoy`, `lvs`, `pybal`, `edge`, `nginx`, `haproxy`, `tls`, `https`, `waf`, `firewall`, `rate[\s-]*limit\w*`, `throttl\w*`, `load[\s-]*balancers?`, `proxy`, `proxies`, `429`)},
	{"app", "app", "an application server: MediaWiki on php-fpm behind nginx, with memcached and its database on the node, its config a repository synced by deploy-config",
		words(`mediawiki`, `php\w*`, `apache`, `[a-z]+-api`, `api`, `app ?servers?`, `appservers?`, `application servers?`, `api servers?`, `hhvm`, `app`, `application`)},
	{"db", "db", "MariaDB, a primary and its replicas",
		words(`mysql`, `mariadb`, `databases?`, `dbas?`, `db\d*`, `replicas?`, `replication`, `replag`, `slaves?`, `sql`, `(?:slow|sql|database|db) quer(?:y|ies)`, `binlog`, `innodb`, `sections? s\d+`, `duplicate (?:key|entry)`)},
	{"app", "app", "memcached, on the application server (the kit's app role)",
		words(`memcached?`, `mcrouter`, `object cache`)},
	{"conf1", "conf", "etcd with conftool's pooled state; a consumer's kit-confd renders its config from it",
		words(`etcd`, `confd`, `conftool`)},
}

// replicated says the database part wants a primary and a replica.
var replicated = words(`replicas?`, `replication`, `replag`, `slaves?`)

// Parts guesses from the report's title, summary, impact and timeline the
// parts of production the incident touched, in partClues' order.
func (r *Report) Parts() []Part {
	text := r.text()
	var parts []Part
	for _, c := range partClues {
		var seen []string
		for _, m := range c.re.FindAllStringSubmatchIndex(text, -1) {
			w := strings.ToLower(strings.Trim(text[m[0]:m[1]], " \t\n.,;:()[]'\"!?/"))
			if w != "" && !contains(seen, w) {
				seen = append(seen, w)
			}
		}
		if len(seen) == 0 {
			continue
		}
		if c.name == "edge" && len(parts) > 0 && parts[len(parts)-1].Role == "cache" {
			// The kit's cache node is an edge too: its words are the cache's.
			parts[len(parts)-1].Words = append(parts[len(parts)-1].Words, seen...)
			continue
		}
		if i := slices.IndexFunc(parts, func(p Part) bool { return p.VMs[0] == c.name }); i >= 0 {
			// memcached is on the app server: one VM.
			parts[i].Words = append(parts[i].Words, seen...)
			continue
		}
		p := Part{VMs: []string{c.name}, Role: c.role, Need: c.need, Words: seen}
		if c.name == "db" {
			p.VMs = []string{"db1"}
			if replicated.MatchString(text) {
				p.VMs = append(p.VMs, "db2")
			}
		}
		parts = append(parts, p)
	}
	return parts
}

// urls are links, whose scheme (https) and host names say nothing of
// the parts of production an incident touched.
var urls = regexp.MustCompile(`\b(?:https?|ftp)://\S+`)

// text is what the guesses read: the report's own words, plain, without
// links, every space doubled so that two clue words in a row are both
// found (a match takes the space after it).
func (r *Report) text() string {
	var b strings.Builder
	for _, s := range []string{r.Title, r.Summary, r.Impact} {
		b.WriteString(plain(s) + "\n")
	}
	for _, e := range r.Entries {
		b.WriteString(plain(e.Text) + "\n")
	}
	t := urls.ReplaceAllString(b.String(), " ")
	return strings.NewReplacer(" ", "  ", "\n", "\n\n", "\t", "\t\t").Replace(t)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// changeClues name the kind of change that starts an incident, each with
// the skeleton a draft proposes for it.
var changeClues = []struct {
	kind, skeleton string
	re             *regexp.Regexp
}{
	{"a puppet change", "the change as a commit on top of the kit, in a repository of the lab's own (docs/KIT.md,\n#   \"Writing an incident on the kit\"), pinned at that commit:\n#     - puppet: {kit: " + kit.Latest + ", repo: puppet.bundle, revision: THE-BREAKING-COMMIT, role: ROLE, clone: /etc/puppet/code/production}",
		words(`puppet`, `hiera`, `manifests?`, `puppet (?:patch|change)`)},
	{"a package upgrade", "the version of the day pinned, its .debs in the lab's debs/ folder when Debian's mirror no longer has it:\n#     - packages: {PACKAGE: \"VERSION-OF-THE-DAY\"}",
		words(`upgrade\w*`, `packages?`, `apt`, `\.debs?`, `new version`, `versions?`)},
	{"a configuration deploy", "the application's or configuration's repository at the revision of the day, a real clone:\n#     - git: {repo: config.bundle, revision: THE-BAD-COMMIT, dest: /srv/config}",
		words(`config(?:uration)? (?:change|deploy\w*|sync\w*|push\w*)`, `scap`, `synced`, `deploy\w*`)},
}

// Change guesses the kind of change that started the incident from the
// entries up to the start of the outage (or the whole timeline when none
// is marked): "" when the words say nothing.
func (r *Report) Change() (kind, skeleton string) {
	var b strings.Builder
	for i, e := range r.Entries {
		if i > r.StartIndex && r.StartIndex > 0 {
			break
		}
		b.WriteString(plain(e.Text) + "\n")
	}
	text := b.String()
	if strings.TrimSpace(text) == "" {
		text = r.text()
	}
	for _, c := range changeClues {
		if c.re.MatchString(text) {
			return c.kind, c.skeleton
		}
	}
	return "", ""
}

// proposedVMs renders the vms: and networks: of a draft from the guessed
// parts, or "" when there are none.
func (r *Report) proposedVMs() string {
	parts := r.Parts()
	if len(parts) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("# TODO: how hard, what it involves, how long it takes.\n# difficulty: medium\n# duration: 45m\n# goals: [\"...\"]\n\n")
	b.WriteString("# Proposed from the report's words: keep the machines the incident needs\n# and drop the rest. The kit's roles and their hiera knobs: docs/KIT.md.\n")
	for _, p := range parts {
		fmt.Fprintf(&b, "#   %s: %s (%s)\n", strings.Join(p.VMs, ", "), p.Need, quoteWords(p.Words, 4))
	}
	b.WriteString("vms:\n")
	for _, p := range parts {
		for _, name := range p.VMs {
			mem := 512
			if p.Role == "app" || p.Role == "cache" {
				mem = 1024 // MediaWiki, MariaDB and memcached; nginx, varnish and their caches
			}
			fmt.Fprintf(&b, "  - name: %s\n    memory: %d\n    networks: [lab]\n", name, mem)
			b.WriteString("    provision:\n")
			switch p.Role {
			case "edge":
				b.WriteString("      # The image has the kit's nginx. Pin a version only if the incident depends on it\n")
				b.WriteString("      # (`- packages: {nginx: \"VERSION\"}`, its .debs in debs/: Debian's mirror drops older updates).\n")
			case "cache":
				b.WriteString("      # The image has the kit's nginx and varnish. Pin a version only if the incident depends on it\n")
				b.WriteString("      # (`- packages: {varnish: \"VERSION\"}`, its .debs in debs/: Debian's mirror drops older updates).\n")
			}
			fmt.Fprintf(&b, "      - puppet: {kit: %s, role: %s, clone: /etc/puppet/code/production}\n", kit.Latest, p.Role)
		}
	}
	b.WriteString("\nnetworks:\n  - name: lab\n")
	if kind, skel := r.Change(); kind != "" {
		fmt.Fprintf(&b, "\n# The incident looks started by %s. Write it as %s\n", kind, skel)
	}
	b.WriteString("\n# TODO: a client that reproduces the incident's traffic or load (docs/LAB-FORMAT.md, clients).\n")
	return b.String()
}

func quoteWords(ws []string, n int) string {
	if len(ws) > n {
		ws = ws[:n]
	}
	q := make([]string, len(ws))
	for i, w := range ws {
		q[i] = fmt.Sprintf("%q", w)
	}
	return strings.Join(q, ", ")
}
