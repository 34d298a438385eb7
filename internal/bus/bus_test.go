package bus_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/bus"
	"github.com/tandem-desk/tandem/internal/bus/bustest"
)

func TestMemoryConformance(t *testing.T) {
	bustest.Run(t, func(t *testing.T) (bus.Bus, bus.Bus) {
		b := bus.NewMemory()
		b.RetryDelay = 100 * time.Millisecond
		t.Cleanup(func() { _ = b.Close() })
		return b, b // one process: both "nodes" share the bus
	})
}

// TestNATSConformance runs the suite on two connections to the NATS server
// of TANDEM_TEST_NATS_URL, as two nodes would; every test gets a stream and
// subject prefix of its own, deleted afterwards.
func TestNATSConformance(t *testing.T) {
	url := os.Getenv(bustest.EnvNATS)
	if url == "" {
		t.Skipf("nats: skipped: %s is not set", bustest.EnvNATS)
	}
	bustest.Run(t, func(t *testing.T) (bus.Bus, bus.Bus) {
		return bustest.NATSPair(t, url)
	})
}

func TestNATSUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	raw := make([]byte, 4)
	_, _ = rand.Read(raw)
	_, err := bus.NewNATS(ctx, "nats://127.0.0.1:1", bus.NATSOptions{Prefix: "x" + hex.EncodeToString(raw)})
	if err == nil || !strings.Contains(err.Error(), "connect") {
		t.Fatalf("NewNATS to a closed port: %v, want a connect error", err)
	}
}
