package webhooks

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Standard Webhooks headers (https://www.standardwebhooks.com).
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// secretPrefix starts every signing secret; the rest is the base64 key.
const secretPrefix = "whsec_"

// NewSecret returns a fresh signing secret: "whsec_" and 32 random bytes in base64.
func NewSecret() string {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		panic(fmt.Sprintf("webhooks: no randomness: %v", err)) // the OS is broken
	}
	return secretPrefix + base64.StdEncoding.EncodeToString(key)
}

// secretKey decodes the HMAC key of a secret.
func secretKey(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, secretPrefix))
	if err != nil || len(key) == 0 {
		return nil, errors.New("webhooks: a secret is whsec_ followed by base64")
	}
	return key, nil
}

// Sign returns the v1 signature of a message: base64(HMAC-SHA256(key,
// "<id>.<timestamp>.<body>")), prefixed "v1,".
func Sign(secret, msgID string, ts time.Time, body []byte) (string, error) {
	key, err := secretKey(secret)
	if err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%s.%d.", msgID, ts.Unix())
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil)), nil
}

// Verify checks a received webhook the way a receiver should: the
// timestamp is within tolerance of now, and one of the signatures in the
// header matches one of secrets (a receiver keeps the old secret for the
// overlap of a rotation). It is what the tests use, and a reference for
// integrators.
func Verify(h http.Header, body []byte, now time.Time, tolerance time.Duration, secrets ...string) error {
	id, tsRaw, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || tsRaw == "" || sigs == "" {
		return errors.New("webhooks: missing webhook-id, webhook-timestamp or webhook-signature")
	}
	sec, err := strconv.ParseInt(tsRaw, 10, 64)
	if err != nil {
		return errors.New("webhooks: bad webhook-timestamp")
	}
	ts := time.Unix(sec, 0)
	if d := now.Sub(ts); d > tolerance || d < -tolerance {
		return errors.New("webhooks: timestamp outside the tolerance")
	}
	for _, secret := range secrets {
		want, err := Sign(secret, id, ts, body)
		if err != nil {
			return err
		}
		for _, got := range strings.Fields(sigs) {
			if hmac.Equal([]byte(got), []byte(want)) {
				return nil
			}
		}
	}
	return errors.New("webhooks: no signature matches")
}
