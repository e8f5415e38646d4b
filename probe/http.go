package probe

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vlab-dev/vlab/labfile"
)

// httpProbe makes one request with curl in the guest. curl writes the
// response's headers and body to stdout and, after them, a line of its
// own on stderr with the status and the time taken.
type httpProbe struct {
	spec    labfile.HTTPProbe
	lo, hi  int
	headers []headerMatch
	body    *regexp.Regexp
}

type headerMatch struct {
	name string
	re   *regexp.Regexp
}

// httpMark starts curl's --write-out line on stderr.
const httpMark = "vlab-http "

// transportFailures are curl's exit statuses for what the server or the
// network did (refused, reset, timed out, bad TLS): answers about the
// incident, so the probe fails. Any other status means curl itself could
// not run the request, an error.
var transportFailures = map[int]bool{5: true, 6: true, 7: true, 16: true, 18: true, 28: true, 35: true,
	47: true, 52: true, 55: true, 56: true, 58: true, 60: true, 92: true}

func newHTTP(spec labfile.HTTPProbe) (httpProbe, error) {
	h := httpProbe{spec: spec}
	var err error
	if h.lo, h.hi, err = labfile.ParseStatus(spec.Status); err != nil {
		return h, fmt.Errorf("http.status: %w", err)
	}
	for name, pat := range spec.Headers {
		re, err := regexp.Compile(pat)
		if err != nil {
			return h, fmt.Errorf("http.headers.%s: %w", name, err)
		}
		h.headers = append(h.headers, headerMatch{name, re})
	}
	slices.SortFunc(h.headers, func(a, b headerMatch) int { return strings.Compare(a.name, b.name) })
	if spec.Body != "" {
		if h.body, err = regexp.Compile(spec.Body); err != nil {
			return h, fmt.Errorf("http.body: %w", err)
		}
	}
	return h, nil
}

func (h httpProbe) command() string {
	args := []string{"curl", "--silent", "--show-error", "--globoff", "--proto", "=http,https",
		"--max-time", num(h.spec.Timeout.D().Seconds()),
		"--write-out", "%{stderr}" + httpMark + "%{http_code} %{time_total}\\n"}
	if !h.spec.VerifyTLS && strings.HasPrefix(strings.ToLower(h.spec.URL), "https:") {
		args = append(args, "--insecure")
	}
	if h.spec.Method == "HEAD" {
		args = append(args, "--head")
	} else {
		args = append(args, "--dump-header", "-", "--request", h.spec.Method)
	}
	args = append(args, "--url", h.spec.URL)
	for i, a := range args {
		args[i] = quote(a)
	}
	return script("curl") + "exec " + strings.Join(args, " ")
}

// status says which statuses pass: "200" or "2xx".
func (h httpProbe) status() string {
	if h.lo == h.hi {
		return strconv.Itoa(h.lo)
	}
	return h.spec.Status
}

func (h httpProbe) want() string {
	parts := []string{"status " + h.status()}
	for _, m := range h.headers {
		parts = append(parts, fmt.Sprintf("%s ~ %s", m.name, m.re))
	}
	if h.body != nil {
		parts = append(parts, "body ~ "+h.body.String())
	}
	if l := h.spec.Latency.D(); l > 0 {
		parts = append(parts, "within "+l.String())
	}
	return strings.Join(parts, ", ")
}

func (h httpProbe) take(ctx context.Context, g guest) (observation, error) {
	out, err := g.run(ctx, "curl", h.command(), "")
	if err != nil {
		return observation{}, err
	}
	if out.exit != 0 {
		if !transportFailures[out.exit] {
			return observation{}, failed("curl "+h.spec.URL, out)
		}
		seen := curlError(out.stderr)
		if out.exit == 28 {
			seen = "no answer within " + h.spec.Timeout.D().String()
		}
		return observation{observed: seen, msg: fmt.Sprintf("%s %s: %s", h.spec.Method, h.spec.URL, seen)}, nil
	}
	code, took, err := curlStatus(out.stderr)
	if err != nil {
		return observation{}, fmt.Errorf("curl %s: %w", h.spec.URL, err)
	}
	headers, body, err := splitResponse(out.stdout)
	if err != nil {
		return observation{}, fmt.Errorf("curl %s: %w", h.spec.URL, err)
	}
	obs := observation{ok: true, observed: fmt.Sprintf("%d in %s", code, took)}
	obs.msg = h.judge(code, took, headers, body)
	obs.ok = obs.msg == ""
	return obs, nil
}

// judge returns why a response does not pass, or "".
func (h httpProbe) judge(code int, took time.Duration, headers map[string][]string, body string) string {
	if code < h.lo || code > h.hi {
		return fmt.Sprintf("status %d, want %s", code, h.status())
	}
	for _, m := range h.headers {
		vals, ok := headers[strings.ToLower(m.name)]
		if !ok {
			return fmt.Sprintf("no %s header, want one matching %s", m.name, m.re)
		}
		if !slices.ContainsFunc(vals, m.re.MatchString) {
			return fmt.Sprintf("header %s is %q, want a match of %s", m.name, firstLine(vals[0]), m.re)
		}
	}
	if h.body != nil && !h.body.MatchString(body) {
		return fmt.Sprintf("body %q does not match %s", firstLine(strings.TrimSpace(body)), h.body)
	}
	if l := h.spec.Latency.D(); l > 0 && took > l {
		return fmt.Sprintf("took %s, want within %s", took, l)
	}
	return ""
}

// curlStatus reads the last --write-out line: status and seconds taken.
func curlStatus(stderr string) (int, time.Duration, error) {
	i := strings.LastIndex(stderr, httpMark)
	if i < 0 {
		return 0, 0, fmt.Errorf("curl printed no status line; is it curl 7.63 or newer?")
	}
	f := strings.Fields(stderr[i+len(httpMark):])
	if len(f) < 2 {
		return 0, 0, fmt.Errorf("malformed status line %q", firstLine(stderr[i:]))
	}
	code, err1 := strconv.Atoi(f[0])
	secs, err2 := strconv.ParseFloat(f[1], 64)
	if err1 != nil || err2 != nil || code < 100 || code > 999 || secs < 0 {
		return 0, 0, fmt.Errorf("malformed status line %q", firstLine(stderr[i:]))
	}
	return code, time.Duration(secs * float64(time.Second)).Round(time.Millisecond), nil
}

// curlError returns what curl said went wrong, without its "curl: (7) ".
func curlError(stderr string) string {
	for _, line := range strings.Split(stderr, "\n") {
		if rest, ok := strings.CutPrefix(line, "curl: "); ok {
			if i := strings.Index(rest, ") "); strings.HasPrefix(rest, "(") && i > 0 {
				rest = rest[i+2:]
			}
			return firstLine(strings.TrimSpace(rest))
		}
	}
	return "no response"
}

// splitResponse parses the header blocks curl dumped (interim 1xx
// responses come first and are skipped) and returns the final response's
// headers, by lowercase name, and the body after them.
func splitResponse(stdout string) (map[string][]string, string, error) {
	rest := stdout
	for {
		block, after, found := strings.Cut(rest, "\r\n\r\n")
		if !found {
			block, after, found = strings.Cut(rest, "\n\n")
		}
		if !strings.HasPrefix(block, "HTTP/") {
			return nil, "", fmt.Errorf("malformed answer: no HTTP status line in %q", firstLine(block))
		}
		line0, _, _ := strings.Cut(block, "\n")
		status := strings.Fields(line0)
		if len(status) >= 2 && strings.HasPrefix(status[1], "1") && found {
			rest = after
			continue
		}
		headers := map[string][]string{}
		for _, line := range strings.Split(block, "\n")[1:] {
			name, val, ok := strings.Cut(strings.TrimRight(line, "\r"), ":")
			if ok {
				k := strings.ToLower(strings.TrimSpace(name))
				headers[k] = append(headers[k], strings.TrimSpace(val))
			}
		}
		return headers, after, nil
	}
}
