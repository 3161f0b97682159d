// Package scram builds and checks SCRAM-SHA-256 password verifiers in the
// form PostgreSQL stores in pg_authid.rolpassword (RFC 5802, RFC 7677):
//
//	SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
//
// Computing the verifier on the client lets a password be set with ALTER
// ROLE ... PASSWORD '<verifier>' without the plaintext ever reaching the
// server, its logs or pg_stat_statements.
package scram

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

const (
	// DefaultIterations is PostgreSQL's default (scram_iterations before 16).
	DefaultIterations = 4096
	// MaxIterations bounds the work a stored verifier can demand of Verify:
	// PBKDF2 cannot be interrupted, so a corrupt or hostile count must not
	// hang the caller.
	MaxIterations = 10_000_000
	saltLen       = 16 // PostgreSQL's SCRAM_DEFAULT_SALT_LEN
	keyLen        = sha256.Size
	mechanism     = "SCRAM-SHA-256"
)

// Verifier is what the server keeps instead of the password.
type Verifier struct {
	Iterations int
	Salt       []byte
	StoredKey  []byte
	ServerKey  []byte
}

// New derives a verifier for password with a fresh random salt.
func New(password string, iterations int) (Verifier, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return Verifier{}, fmt.Errorf("generate salt: %w", err)
	}
	return Derive(password, salt, iterations)
}

// Derive computes the verifier for password with a given salt.
func Derive(password string, salt []byte, iterations int) (Verifier, error) {
	if iterations < 1 || iterations > MaxIterations {
		return Verifier{}, fmt.Errorf("iteration count %d is outside 1..%d", iterations, MaxIterations)
	}
	if len(salt) == 0 {
		return Verifier{}, errors.New("salt is empty")
	}
	stored, server, err := keys(password, salt, iterations)
	if err != nil {
		return Verifier{}, err
	}
	return Verifier{Iterations: iterations, Salt: append([]byte(nil), salt...), StoredKey: stored, ServerKey: server}, nil
}

func keys(password string, salt []byte, iterations int) (stored, server []byte, err error) {
	salted, err := pbkdf2.Key(sha256.New, Normalize(password), salt, iterations, keyLen)
	if err != nil {
		return nil, nil, fmt.Errorf("derive salted password: %w", err)
	}
	clientKey := mac(salted, "Client Key")
	sum := sha256.Sum256(clientKey)
	return sum[:], mac(salted, "Server Key"), nil
}

func mac(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}

// Verify reports whether password produces this verifier, i.e. whether a
// client would authenticate with it. The comparison is constant-time.
func (v Verifier) Verify(password string) bool {
	d, err := Derive(password, v.Salt, v.Iterations)
	if err != nil {
		return false
	}
	// Both keys: a verifier whose halves disagree is corrupt, and the
	// server would fail the login at its final step.
	return hmac.Equal(d.StoredKey, v.StoredKey) && hmac.Equal(d.ServerKey, v.ServerKey)
}

// Verifies reports whether stored (a pg_authid.rolpassword value) is a
// well-formed SCRAM-SHA-256 verifier for password. An md5 hash, clear text
// or anything else does not count: it is not what this package stores.
func Verifies(stored, password string) bool {
	v, err := Parse(stored)
	return err == nil && v.Verify(password)
}

// String renders the verifier in PostgreSQL's rolpassword format.
func (v Verifier) String() string {
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("%s$%d:%s$%s:%s", mechanism, v.Iterations, b64(v.Salt), b64(v.StoredKey), b64(v.ServerKey))
}

// Parse reads a rolpassword value. Its errors never echo the input: a
// verifier is enough to mount an offline guessing attack.
func Parse(s string) (Verifier, error) {
	rest, ok := strings.CutPrefix(s, mechanism+"$")
	if !ok {
		return Verifier{}, errors.New("not a SCRAM-SHA-256 verifier")
	}
	params, secrets, ok := strings.Cut(rest, "$")
	if !ok {
		return Verifier{}, errors.New("SCRAM-SHA-256 verifier lacks its keys")
	}
	iterText, saltText, ok1 := strings.Cut(params, ":")
	storedText, serverText, ok2 := strings.Cut(secrets, ":")
	if !ok1 || !ok2 {
		return Verifier{}, errors.New("SCRAM-SHA-256 verifier is malformed")
	}
	iterations, err := strconv.Atoi(iterText)
	if err != nil || iterations < 1 || iterations > MaxIterations {
		return Verifier{}, fmt.Errorf("SCRAM-SHA-256 verifier has an iteration count outside 1..%d", MaxIterations)
	}
	v := Verifier{Iterations: iterations}
	for _, f := range []struct {
		dst  *[]byte
		text string
		name string
		size int
	}{
		{&v.Salt, saltText, "salt", 0},
		{&v.StoredKey, storedText, "StoredKey", keyLen},
		{&v.ServerKey, serverText, "ServerKey", keyLen},
	} {
		b, err := base64.StdEncoding.DecodeString(f.text)
		if err != nil || len(b) == 0 || (f.size > 0 && len(b) != f.size) {
			return Verifier{}, fmt.Errorf("SCRAM-SHA-256 verifier has an invalid %s", f.name)
		}
		*f.dst = b
	}
	return v, nil
}
