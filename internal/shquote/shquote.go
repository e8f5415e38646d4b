// Package shquote makes strings single words for /bin/sh: what vlab runs
// in a guest is a shell command line, and a lab's values (paths, URLs,
// queries) must reach the command as the words they are.
package shquote

import "strings"

// safe are the bytes a word may hold unquoted.
const safe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=+@%,"

// Quote makes s one word for /bin/sh: as it is when it holds only safe
// bytes, else in single quotes.
func Quote(s string) string {
	if s != "" && strings.Trim(s, safe) == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Join quotes each word and joins them with spaces.
func Join(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = Quote(w)
	}
	return strings.Join(q, " ")
}
