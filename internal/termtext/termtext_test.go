package termtext

import "testing"

func TestLineAndText(t *testing.T) {
	for _, tt := range []struct {
		name, in, line, text string
	}{
		{"plain", "Checkout returns 502", "Checkout returns 502", "Checkout returns 502"},
		{"unicode kept", "Café → 5xx ✓", "Café → 5xx ✓", "Café → 5xx ✓"},
		{"CSI colour", "a\x1b[1;31mred\x1b[0m b", "ared b", "ared b"},
		{"CSI private mode", "\x1b[?1049hscreen", "screen", "screen"},
		{"CSI cursor up and erase", "ok\x1b[1A\x1b[2Kfake", "okfake", "okfake"},
		{"OSC 52 with BEL", "title\x1b]52;c;ZWNobyBwd25lZAo=\x07 end", "title end", "title end"},
		{"OSC 52 with ST", "title\x1b]52;c;ZWNobyBwd25lZAo=\x1b\\ end", "title end", "title end"},
		{"OSC window title", "\x1b]0;pwned\x07x", "x", "x"},
		{"OSC 8 hyperlink", "\x1b]8;;http://evil/\x1b\\click\x1b]8;;\x1b\\", "click", "click"},
		{"OSC unterminated", "a\x1b]52;c;AAAA\nmore", "a", "a"},
		{"OSC cut by ESC", "a\x1b]0;x\x1b[31mb", "ab", "ab"},
		{"DCS", "a\x1bPq#0;2;0;0;0#1\x1b\\b", "ab", "ab"},
		{"APC and PM", "a\x1b_hidden\x1b\\b\x1b^pm\x1b\\c", "abc", "abc"},
		{"C1 CSI", "a\u009b2Jb", "ab", "ab"},
		{"C1 OSC ended by C1 ST", "a\u009d52;c;AAAA\u009cb", "ab", "ab"},
		{"C1 other", "a\u0085b\u0090x\u009cc", "abc", "abc"},
		{"reset", "a\x1bcb", "ab", "ab"},
		{"charset", "a\x1b(Bb", "ab", "ab"},
		{"lone ESC at end", "a\x1b", "a", "a"},
		{"ESC before a newline", "a\x1b\nb", "a b", "a\nb"},
		{"C0 controls", "a\x07b\x08c\x00d\x7fe", "abcde", "abcde"},
		{"carriage return", "secret\rfake\r\nnext", "secretfake next", "secretfake\nnext"},
		{"tabs and newlines", "a\tb\nc", "a b c", "a\tb\nc"},
		{"bidi override", "admin\u202e\u2066txt.exe\u2069", "admintxt.exe", "admintxt.exe"},
		{"invalid UTF-8", "a\xffb\x9bc", "a\ufffdb\ufffdc", "a\ufffdb\ufffdc"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Line(tt.in); got != tt.line {
				t.Errorf("Line(%q) = %q, want %q", tt.in, got, tt.line)
			}
			if got := Text(tt.in); got != tt.text {
				t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.text)
			}
		})
	}
}

func FuzzClean(f *testing.F) {
	f.Add("a\x1b]52;c;AAAA\x07b\u009b1m")
	f.Fuzz(func(t *testing.T, s string) {
		for _, out := range []string{Line(s), Text(s)} {
			for _, r := range out {
				if r < 0x20 && r != '\n' && r != '\t' || r >= 0x7f && r <= 0x9f || isBidiControl(r) {
					t.Fatalf("%q kept control %U", s, r)
				}
			}
		}
	})
}

func TestCount(t *testing.T) {
	for n, want := range map[int]string{0: "0 VMs", 1: "1 VM", 2: "2 VMs"} {
		if got := Count(n, "VM"); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}
