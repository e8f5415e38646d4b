package provision

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"sync"

	"golang.org/x/crypto/ssh"
)

// NewKey makes an ed25519 key pair for one lab instance and returns the
// private key in OpenSSH PEM form and the public key as an authorized_keys line.
func NewKey(comment string) (private, authorized []byte, err error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		return nil, nil, err
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil, nil, err
	}
	line := bytes.TrimSpace(ssh.MarshalAuthorizedKey(sshPub))
	return pem.EncodeToMemory(block), append(line, []byte(" "+comment+"\n")...), nil
}

// ErrHostKeyChanged is returned when a guest presents a host key other than
// the one recorded at first contact.
var ErrHostKeyChanged = errors.New("guest host key changed")

// HostKeys checks a guest's host key against the one recorded for it: the
// first key seen is accepted and handed to Record (trust on first use), any
// later key must be the same.
type HostKeys struct {
	mu sync.Mutex
	// Known is the recorded key in authorized_keys form; empty before first contact.
	Known string
	// Record persists a key seen for the first time; nil means keep it in memory.
	Record func(key string) error
}

// Callback is the ssh.HostKeyCallback that applies the check.
func (h *HostKeys) Callback(_ string, _ net.Addr, key ssh.PublicKey) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	got := string(bytes.TrimSpace(ssh.MarshalAuthorizedKey(key)))
	if h.Known == "" {
		if h.Record != nil {
			if err := h.Record(got); err != nil {
				return fmt.Errorf("record guest host key: %w", err)
			}
		}
		h.Known = got
		return nil
	}
	if got != h.Known {
		return fmt.Errorf("%w: recorded %s, got %s; if the VM was rebuilt outside vlab, run `vlab destroy` and `vlab up` again", ErrHostKeyChanged, fingerprint(h.Known), ssh.FingerprintSHA256(key))
	}
	return nil
}

func fingerprint(authorized string) string {
	k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(authorized))
	if err != nil {
		return "(unreadable key)"
	}
	return ssh.FingerprintSHA256(k)
}

// AuthorizedBase64 returns the authorized_keys line of a private key,
// base64-encoded so that it fits on a kernel command line.
func AuthorizedBase64(private []byte) (string, error) {
	signer, err := ssh.ParsePrivateKey(private)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(ssh.MarshalAuthorizedKey(signer.PublicKey())), nil
}
