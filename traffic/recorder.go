package traffic

import (
	"strconv"
	"sync"
	"time"
)

// recorder counts results into seconds of the wall clock and hands out the
// complete ones.
type recorder struct {
	mu       sync.Mutex
	name     string
	open     map[int64]*Second // seconds not over yet, by time
	done     []Second          // the last KeepSeconds complete seconds, oldest first
	last     int64             // the last second handed out
	slowOpen int
}

func newRecorder(name string) *recorder {
	return &recorder{name: name, open: map[int64]*Second{}}
}

func newSecond(t int64) *Second {
	return &Second{T: t, Codes: map[string]int{}, Errors: map[string]int{}, Latency: make([]int, len(LatencyBounds)+1)}
}

// add counts one request that ended at end: its HTTP code, or 0 and the
// error that kept it from getting one.
func (r *recorder) add(end time.Time, code uint16, errMsg string, latency time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := end.Unix()
	s := r.open[t]
	if s == nil {
		s = newSecond(t)
		r.open[t] = s
	}
	s.Requests++
	if code != 0 {
		s.Codes[strconv.Itoa(int(code))]++
	} else {
		s.Errors[errorKind(errMsg)]++
	}
	s.Latency[bucket(latency)]++
}

// setSlowOpen records the slow clients' open connections.
func (r *recorder) setSlowOpen(n int) {
	r.mu.Lock()
	r.slowOpen = n
	r.mu.Unlock()
}

// maxGap is the longest run of seconds with nothing counted that flush
// fills with empty seconds (a client whose requests all hang). A longer
// gap means the guest did not run (paused, restored, its clock set
// forward): those seconds had no client and are not made up.
const maxGap = 3

// flush moves the seconds before now's into the complete ones and returns
// the stats file's contents.
func (r *recorder) flush(now time.Time) *Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	cur := now.Unix()
	from := r.last + 1
	if r.last == 0 || cur-from > maxGap {
		from = cur - 1
	}
	for t := from; t < cur; t++ {
		s := r.open[t]
		if s == nil {
			s = newSecond(t)
		}
		s.SlowOpen = r.slowOpen
		r.done = append(r.done, *s)
		r.last = t
	}
	for t := range r.open {
		if t < cur {
			delete(r.open, t) // counted above, or older than a gap
		}
	}
	if n := len(r.done) - KeepSeconds; n > 0 {
		r.done = append([]Second(nil), r.done[n:]...)
	}
	return &Stats{Format: StatsFormat, Client: r.name, Written: float64(now.UnixNano()) / 1e9,
		Bounds: LatencyBounds, Seconds: append([]Second(nil), r.done...)}
}
