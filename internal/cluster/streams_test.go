package cluster_test

import (
	"bufio"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestStreamsReadOncePerNode: customers hold streams on both nodes; each
// message, sent to one node, reaches its customer's stream on the other
// and costs every node one read of the event log (its bus signal wakes
// the node's feed once), not one per stream.
func TestStreamsReadOncePerNode(t *testing.T) {
	c := newCluster(t, 2, 30*time.Second)
	a, b := c.nodes[0], c.nodes[1]
	const streams, messages = 40, 4
	var tokens []string
	var convs []conversation
	var onB []*stream // the talking customers' streams, on node B
	for i := range streams {
		tok := customer(t, a)
		if i < messages {
			tokens = append(tokens, tok)
			convs = append(convs, startConversation(t, a, tok, "Hello"))
		}
		n := []*node{a, b}[i%2]
		if i < messages {
			n = b
		}
		s := openStream(t, n, tok, -1)
		if i < messages {
			onB = append(onB, s)
		}
	}
	before := []float64{eventReads(t, a), eventReads(t, b)}
	head := func() int64 {
		h, err := c.store.HeadSeq(t.Context(), c.ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	from := head()
	for i, conv := range convs {
		body := fmt.Sprint("from A ", i)
		call(t, a, "POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID), tokens[i], map[string]any{"body": body}, 201, nil)
		onB[i].waitFor("the message on B", isMessage(body))
	}
	events := head() - from // the log is one workspace's here: seqs are its events
	for i, n := range []*node{a, b} {
		got := eventReads(t, n) - before[i]
		t.Logf("node %s: %d events, %v reads of the event log", n.name, events, got)
		// A read per signal at most, a signal or two per message; before
		// the fan-out each of the node's 20 streams read on every signal.
		if got > 3*messages {
			t.Errorf("node %s: %d messages with %d streams open in the cluster cost %v reads of the event log, want at most %d",
				n.name, messages, streams, got, 3*messages)
		}
	}
}

// eventReads is the node's tandem_stream_event_reads_total.
func eventReads(t *testing.T, n *node) float64 {
	t.Helper()
	res, err := client.Get(n.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("node %s: /metrics: %d", n.name, res.StatusCode)
	}
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "tandem_stream_event_reads_total "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	t.Fatalf("node %s: no tandem_stream_event_reads_total in /metrics", n.name)
	return 0
}
