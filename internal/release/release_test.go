package release

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	for _, tt := range []struct {
		requirement, version, wantErr string
	}{
		{">= 0.3", "0.3.0", ""},
		{">= 0.3", "0.3.0-dev", ""}, // a development build counts as its release
		{">= 0.3", "0.2.9", "needs vlab >= 0.3"},
		{">= 0.3, < 1.0", "1.2.0", "needs vlab >= 0.3, < 1.0"},
		{"~> 0.3", "0.4.1", ""},
		{"0.3", "0.3.0", ""},
		{"newest", "0.3.0", `"newest" is not a version requirement`},
		{"", "0.3.0", "is not a version requirement"},
		{">= 0.3", "not-a-version", ""}, // a bad build version: the source's
		{">= 0.4", "not-a-version", "this is vlab 0.3.0-dev"},
	} {
		err := check(tt.requirement, tt.version)
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("check(%q, %s) = %v, want %q", tt.requirement, tt.version, err, tt.wantErr)
		}
	}
}
