package bustest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/bus"
)

// EnvNATS names the variable that points the tests at a NATS server with
// JetStream.
const EnvNATS = "TANDEM_TEST_NATS_URL"

// NATSURL returns the server URL from the environment, or "" with the
// reason to give when skipping.
func NATSURL() (string, string) {
	u := os.Getenv(EnvNATS)
	if u == "" {
		return "", EnvNATS + " is not set"
	}
	return u, ""
}

// NATSOptions returns options with a fresh subject prefix and stream name,
// so that a test sees nothing of any other, and short redelivery times.
func NATSOptions() bus.NATSOptions {
	raw := make([]byte, 6)
	_, _ = rand.Read(raw)
	id := hex.EncodeToString(raw)
	return bus.NATSOptions{
		Prefix:     "tandemtest_" + id,
		Stream:     "TANDEMTEST_" + strings.ToUpper(id),
		AckWait:    2 * time.Second,
		RetryDelay: 100 * time.Millisecond,
	}
}

// NATSPair connects two buses (two "nodes") to the server at url with the
// same fresh prefix and stream; the stream is deleted and both are closed
// when t ends.
func NATSPair(t testing.TB, url string) (*bus.NATS, *bus.NATS) {
	t.Helper()
	opts := NATSOptions()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, err := bus.NewNATS(ctx, url, opts)
	if err != nil {
		t.Fatalf("nats: %v", err)
	}
	b, err := bus.NewNATS(ctx, url, opts)
	if err != nil {
		a.Close()
		t.Fatalf("nats: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.DeleteStream(ctx); err != nil {
			t.Errorf("delete stream %s: %v", opts.Stream, err)
		}
		_ = a.Close()
		_ = b.Close()
	})
	return a, b
}
