package cluster_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
)

// TestTypingAcrossNodes: the customer, connected to node A, sees the agent
// on node B typing, and the agent sees the customer — typing notices are
// broadcast between the nodes, not kept where they were written.
func TestTypingAcrossNodes(t *testing.T) {
	c := newCluster(t, 2, 30*time.Second)
	a, b := c.nodes[0], c.nodes[1]

	agentTok, agentID := c.agent(b, "ana", 3) // named "ana"
	agentStream := openStreamQuery(t, b, agentTok, -1, "typing=1")
	setStatus(t, b, agentTok, "available")
	custTok := customer(t, a)
	custStream := openStreamQuery(t, a, custTok, 0, "typing=1")
	conv := startConversation(t, a, custTok, "My card was charged twice")

	f := agentStream.waitFor("offer.created", isType(model.EventOfferCreated, conv.ID))
	var o offer
	if err := json.Unmarshal(f.Data, &o); err != nil || o.AgentID != agentID {
		t.Fatalf("offer %s (%v)", f.Data, err)
	}
	call(t, b, "POST", fmt.Sprintf("/api/v1/offers/%d/accept", o.ID), agentTok, nil, 200, nil)
	custStream.waitFor("conversation.assigned", isType(model.EventConversationAssigned, conv.ID))

	// ana types on B: the customer's stream on A shows it.
	got := typingReaches(t, b, agentTok, conv.ID, custStream, "the agent typing on B, on the customer's stream on A")
	if string(got.Data) != `{"author_kind":"agent","name":"ana"}` {
		t.Errorf("the customer's typing frame: %s", got.Data)
	}
	// The customer types on A: ana's stream on B shows it.
	got = typingReaches(t, a, custTok, conv.ID, agentStream, "the customer typing on A, on the agent's stream on B")
	var d struct {
		AuthorKind string `json:"author_kind"`
	}
	if err := json.Unmarshal(got.Data, &d); err != nil || d.AuthorKind != "customer" {
		t.Errorf("the agent's typing frame: %s", got.Data)
	}
}

// typingReaches says on node n, as the token's holder, that they are typing
// in the conversation, again every so often (a node starts listening to a
// workspace's typing when its first stream asks, and the subscription takes
// a moment to reach NATS; a notice is a hint, and lost ones are not sent
// again), until s gets the typing frame; it returns the frame.
func typingReaches(t *testing.T, n *node, token string, convID int64, s *stream, what string) frame {
	t.Helper()
	path := fmt.Sprintf("/api/v1/conversations/%d/typing", convID)
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		call(t, n, "POST", path, token, nil, 204, nil)
		// A writer's notices closer than a second apart are dropped: the
		// next try comes after that.
		next := time.Now().Add(1200 * time.Millisecond)
		for {
			f, ok := s.nextWithin(time.Until(next))
			if !ok {
				break
			}
			if isType("typing", convID)(f) {
				if f.Seq != 0 {
					t.Errorf("%s: typing frame with seq %d: it is not an event", what, f.Seq)
				}
				return f
			}
		}
	}
	t.Fatalf("no typing frame for %s within %v", what, wait)
	return frame{}
}
