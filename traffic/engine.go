package traffic

import (
	"context"
	"crypto/tls"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Run plays the client until ctx ends, writing its statistics to path
// every second (see Stats). Failed requests are counted, never fatal: only
// a config that cannot run or a stats file that cannot be written ends it.
func Run(ctx context.Context, cfg Config, path string) error {
	if err := cfg.Check(); err != nil {
		return err
	}
	cfg.fill()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	rec := newRecorder(cfg.Name)
	targeter, err := newTargeter(cfg)
	if err != nil {
		return err
	}
	sources := cfg.Sources
	if len(sources) == 0 {
		sources = []string{""}
	}
	var wg sync.WaitGroup
	var attackers []*vegeta.Attacker
	if len(cfg.Targets) > 0 {
		for _, src := range sources {
			a := vegeta.NewAttacker(attackerOptions(cfg, src)...)
			attackers = append(attackers, a)
			p := &pacer{rate: cfg.Rate / float64(len(sources)), ramp: cfg.Ramp}
			// No attack name: vegeta would send it in a header, telling
			// whoever reads the requests which lab trigger they are.
			results := a.Attack(targeter, p, 0, "")
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r := range results {
					rec.add(time.Now(), r.Code, r.Error, r.Latency)
				}
			}()
		}
	}
	if cfg.Slow != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runSlow(ctx, *cfg.Slow, sources, rec)
		}()
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var werr error
	for werr == nil {
		select {
		case <-ctx.Done():
			for _, a := range attackers {
				a.Stop()
			}
			// Requests in flight (a long-poll, a hung server) would hold
			// the stop for their whole timeout: a second is enough for
			// the ones about to end; the rest end with the process.
			done := make(chan struct{})
			go func() { wg.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(stopGrace):
			}
			return writeStats(path, rec.flush(time.Now()))
		case <-tick.C:
			// Not the ticker's time: Go backdates it by how late the tick
			// fired on the monotonic clock, and a tick due when the
			// client was frozen in a golden state fires late by the
			// standby's warm-up, so its time fell seconds before the
			// reset and flush counted an empty second there (seen in CI).
			// The seconds are the wall clock's, which a reset corrects.
			werr = writeStats(path, rec.flush(time.Now().Round(0)))
		}
	}
	for _, a := range attackers {
		a.Stop()
	}
	return fmt.Errorf("client %s: write %s: %w", cfg.Name, path, werr)
}

// stopGrace bounds how long a stopping client waits for its requests.
const stopGrace = time.Second

// attackerOptions are vegeta's settings for one source address.
func attackerOptions(cfg Config, src string) []func(*vegeta.Attacker) {
	opts := []func(*vegeta.Attacker){
		vegeta.Workers(uint64(min(cfg.Concurrency, 10))),
		vegeta.MaxWorkers(uint64(cfg.Concurrency)),
		vegeta.Connections(cfg.Concurrency),
		vegeta.Timeout(cfg.Timeout),
		vegeta.KeepAlive(!cfg.NoKeepAlive),
		vegeta.MaxBody(0), // statuses and times are counted; bodies are not kept
		// A lab's guest has no proxy: the environment's is not followed.
		vegeta.Proxy(func(*http.Request) (*url.URL, error) { return nil, nil }),
		vegeta.TLSConfig(&tls.Config{InsecureSkipVerify: !cfg.VerifyTLS}),
	}
	if cfg.Redirects == 0 {
		opts = append(opts, vegeta.Redirects(vegeta.NoFollow))
	} else {
		opts = append(opts, vegeta.Redirects(cfg.Redirects))
	}
	if src != "" {
		opts = append(opts, vegeta.LocalAddr(net.IPAddr{IP: net.ParseIP(src)}))
	}
	return opts
}

// newTargeter draws each request's target from the weighted mix.
func newTargeter(cfg Config) (vegeta.Targeter, error) {
	type weighted struct {
		t      Target
		tmpl   template
		header http.Header
	}
	var all []weighted
	total := 0
	for _, t := range cfg.Targets {
		tmpl, err := parseTemplate(t.URL)
		if err != nil {
			return nil, err
		}
		h := http.Header{}
		for k, v := range cfg.Headers {
			h.Set(k, v)
		}
		for k, v := range t.Headers {
			h.Set(k, v)
		}
		if t.Weight == 0 {
			t.Weight = 1
		}
		total += t.Weight
		all = append(all, weighted{t: t, tmpl: tmpl, header: h})
	}
	return func(tgt *vegeta.Target) error {
		n := rand.IntN(total)
		w := all[len(all)-1]
		for _, c := range all {
			if n < c.t.Weight {
				w = c
				break
			}
			n -= c.t.Weight
		}
		tgt.Method = w.t.Method
		if tgt.Method == "" {
			tgt.Method = http.MethodGet
		}
		tgt.URL = w.tmpl.expand()
		tgt.Body = []byte(w.t.Body)
		tgt.Header = w.header
		return nil
	}, nil
}

// pacer spaces requests at rate per second, raised linearly over ramp. It
// does not catch up: when the guest was paused (a standby, a saved state)
// the requests it missed are not sent in a burst when it runs again.
// A rate of 0 sends as fast as the attacker's workers allow.
type pacer struct {
	rate float64
	ramp time.Duration
	mu   sync.Mutex
	next time.Duration
}

func (p *pacer) Pace(elapsed time.Duration, _ uint64) (time.Duration, bool) {
	if p.rate <= 0 {
		return 0, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.next < elapsed-time.Second {
		p.next = elapsed
	}
	wait := max(0, p.next-elapsed)
	p.next += min(time.Duration(float64(time.Second)/p.Rate(p.next)), maxInterval)
	return wait, false
}

// maxInterval bounds the time between requests, whatever the rate: a
// rate too small for a time.Duration must not overflow into no pacing.
const maxInterval = time.Minute

// Rate is the requests per second at elapsed.
func (p *pacer) Rate(elapsed time.Duration) float64 {
	r := p.rate
	if p.ramp > 0 && elapsed < p.ramp {
		r *= float64(elapsed) / float64(p.ramp)
	}
	return max(r, min(p.rate, 1)) // a ramp starts at one a second
}
