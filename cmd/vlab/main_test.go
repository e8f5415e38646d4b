package main

import (
	"context"
	"os"
	"testing"
)

// testSetup runs before the tests; the integration tests set it.
var testSetup func()

// TestMain lets the test binary stand in for vlab where vlab starts itself
// (the background standby preparation of reset and up).
func TestMain(m *testing.M) {
	if os.Getenv(runAsCLI) == "1" {
		os.Exit(run(context.Background(), os.Args, os.Stdin, os.Stdout, os.Stderr))
	}
	if testSetup != nil {
		testSetup()
	}
	os.Exit(m.Run())
}
