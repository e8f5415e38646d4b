package web

import (
	"fmt"
	"html"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vlab-dev/vlab/traffic"
)

// The traffic graph: for each client, its answers a second by kind (2xx,
// 3xx, 4xx, 5xx, no answer) stacked, and the 95th percentile of its
// latency as a line, over the seconds its statistics hold, in SVG.

const (
	graphW, panelH, pad = 720, 150, 36
)

var series = []struct {
	name, color string
	match       func(code string) bool
}{
	{"2xx", "#2e7d32", func(c string) bool { return len(c) == 3 && c[0] == '2' }},
	{"3xx", "#1565c0", func(c string) bool { return len(c) == 3 && c[0] == '3' }},
	{"4xx", "#ef6c00", func(c string) bool { return len(c) == 3 && c[0] == '4' }},
	{"5xx", "#c62828", func(c string) bool { return len(c) == 3 && c[0] == '5' }},
}

const noAnswerColor = "#6a1b9a"

// writeGraph draws every client of stats (by name, sorted) as one panel.
func writeGraph(w io.Writer, stats map[string]*traffic.Stats, now time.Time) error {
	names := make([]string, 0, len(stats))
	for n := range stats {
		names = append(names, n)
	}
	slices.Sort(names)
	h := len(names)*(panelH+pad) + pad
	if len(names) == 0 {
		h = 60
	}
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n", graphW, h, graphW, h)
	if len(names) == 0 {
		fmt.Fprintf(w, `<text x="10" y="30">This lab has no traffic clients.</text>`+"\n")
	}
	for i, n := range names {
		panel(w, n, stats[n], pad+i*(panelH+pad), now)
	}
	_, err := io.WriteString(w, "</svg>\n")
	return err
}

func panel(w io.Writer, name string, st *traffic.Stats, top int, now time.Time) {
	left, width := 50, graphW-50-60
	// Only the seconds the graph spans: a guest's clock set back by a
	// reset leaves older seconds in the file.
	var secs []traffic.Second
	for _, s := range st.Seconds {
		if s.T >= now.Unix()-traffic.KeepSeconds && s.T <= now.Unix() {
			secs = append(secs, s)
		}
	}
	most := 1
	for _, s := range secs {
		most = max(most, s.Requests)
	}
	x := func(t int64) float64 {
		return float64(left) + float64(width)*float64(t-(now.Unix()-traffic.KeepSeconds))/traffic.KeepSeconds
	}
	y := func(v, of float64) float64 { return float64(top+panelH) - float64(panelH)*v/of }
	fmt.Fprintf(w, `<text x="%d" y="%d" font-weight="bold">%s: answers a second by status, and p95 latency</text>`+"\n", left, top-8, html.EscapeString(name))
	fmt.Fprintf(w, `<rect x="%d" y="%d" width="%d" height="%d" fill="#fafafa" stroke="#ccc"/>`+"\n", left, top, width, panelH)
	fmt.Fprintf(w, `<text x="%d" y="%d" text-anchor="end">%d/s</text><text x="%d" y="%d" text-anchor="end">0</text>`+"\n", left-4, top+10, most, left-4, top+panelH)
	bar := float64(width) / traffic.KeepSeconds
	var lat []string
	worst := 0.0
	p95 := map[int64]float64{}
	for _, s := range secs {
		if s.Requests == 0 {
			continue
		}
		if d, ok := st.Of(s).Quantile(0.95); ok {
			// Beyond the last bucket: drawn at the last bound.
			if len(st.Bounds) > 0 {
				d = min(d, time.Duration(st.Bounds[len(st.Bounds)-1]*float64(time.Millisecond)))
			}
			p95[s.T] = d.Seconds()
			worst = max(worst, d.Seconds())
		}
	}
	for _, s := range secs {
		base := 0.0
		stack := func(n int, color string) {
			if n == 0 {
				return
			}
			y0, y1 := y(base, float64(most)), y(base+float64(n), float64(most))
			fmt.Fprintf(w, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`+"\n", x(s.T), y1, max(bar-0.5, 0.5), y0-y1, color)
			base += float64(n)
		}
		for _, se := range series {
			n := 0
			for c, k := range s.Codes {
				if se.match(c) {
					n += k
				}
			}
			stack(n, se.color)
		}
		errs := 0
		for _, k := range s.Errors {
			errs += k
		}
		stack(errs, noAnswerColor)
		if v, ok := p95[s.T]; ok && worst > 0 {
			lat = append(lat, strconv.FormatFloat(x(s.T)+bar/2, 'f', 1, 64)+","+strconv.FormatFloat(y(v, worst*1.1), 'f', 1, 64))
		}
	}
	if len(lat) > 1 {
		fmt.Fprintf(w, `<polyline fill="none" stroke="#000" stroke-width="1.5" points="%s"/>`+"\n", joinPoints(lat))
		fmt.Fprintf(w, `<text x="%d" y="%d">p95 %s</text>`+"\n", left+width+4, top+10, (time.Duration(worst * 1.1 * float64(time.Second))).Round(time.Millisecond))
	}
	fmt.Fprintf(w, `<text x="%d" y="%d">-%ds</text><text x="%d" y="%d" text-anchor="end">now</text>`+"\n", left, top+panelH+14, traffic.KeepSeconds, left+width, top+panelH+14)
	lx := left + 120
	for _, se := range series {
		fmt.Fprintf(w, `<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n", lx, top+panelH+5, se.color, lx+13, top+panelH+14, se.name)
		lx += 50
	}
	fmt.Fprintf(w, `<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d">no answer</text>`+"\n", lx, top+panelH+5, noAnswerColor, lx+13, top+panelH+14)
}

func joinPoints(ps []string) string { return strings.Join(ps, " ") }
