// Package cluster tests Tandem as a cluster: two or three real `tandem
// serve` processes on 127.0.0.1, one PostgreSQL database and one NATS
// server, driven through their public HTTP API and WebSocket streams —
// including a node killed with SIGKILL in the middle of its work.
//
// The package has tests only. They need TANDEM_TEST_POSTGRES_URL and
// TANDEM_TEST_NATS_URL (see .ci/run) and skip, saying so, without them.
// TestMain builds the binary once into a temporary directory. Every test
// gets its own database and its own NATS subject prefix and stream, removed
// when it ends.
package cluster
