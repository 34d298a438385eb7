package cluster_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestArticleEditsReachEveryNode: node B has answered from its knowledge
// base (and so cached its index) when an admin on node A adds an article,
// then edits it. B's search — the index the assistant answers from — finds
// the article, then only its new text, and the assistant on B cites it:
// without a restart of B.
func TestArticleEditsReachEveryNode(t *testing.T) {
	c := newCluster(t, 2, 30*time.Second)
	a, b := c.nodes[0], c.nodes[1]
	admin := c.admin(a)
	adminB := c.admin(b)
	search := func(n *node, q string) []string {
		var out struct {
			Articles []struct {
				Title string `json:"title"`
			} `json:"articles"`
		}
		call(t, n, "GET", "/api/v1/articles?q="+url.QueryEscape(q), adminB, nil, 200, &out)
		var titles []string
		for _, art := range out.Articles {
			titles = append(titles, art.Title)
		}
		return titles
	}
	question := "When will my new card arrive?"

	// B reads its knowledge base before the article exists.
	if got := search(b, "card arrive"); len(got) != 0 {
		t.Fatalf("B finds %v before any article exists", got)
	}
	ask := func() string { // a customer on B asks; the assistant's answer
		tok := customer(t, b)
		var conv conversation
		call(t, b, "POST", "/api/v1/conversations", tok, map[string]any{"message": map[string]string{"body": question}}, 201, &conv)
		var reply string
		eventually(t, wait, "the assistant's answer on B", func() bool {
			var out struct {
				Messages []struct {
					AuthorKind string `json:"author_kind"`
					Body       string `json:"body"`
					Citation   *struct {
						Title string `json:"title"`
					} `json:"citation"`
				} `json:"messages"`
			}
			call(t, b, "GET", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID), tok, nil, 200, &out)
			for _, m := range out.Messages {
				if m.AuthorKind == "assistant" {
					reply = m.Body
					if m.Citation != nil {
						reply = "cites " + m.Citation.Title + ": " + m.Body
					}
					return true
				}
			}
			return false
		})
		return reply
	}
	if got := ask(); strings.HasPrefix(got, "cites ") {
		t.Fatalf("the assistant on B cites an article before any exists: %q", got)
	}

	var art struct {
		ID int64 `json:"id"`
	}
	call(t, a, "POST", "/api/v1/articles", admin, map[string]any{"title": "When your card arrives",
		"body": "A new card arrives within 5 working days of your order, by post, to the address on your account.", "intents": []string{"card_arrival", "card_delivery_estimate"}}, 201, &art)
	eventually(t, wait, "B to find the article written on A", func() bool {
		got := search(b, "card arrive")
		return len(got) == 1 && got[0] == "When your card arrives"
	})
	if got := ask(); !strings.HasPrefix(got, "cites When your card arrives") {
		t.Errorf("the assistant on B answers %q, not from the article written on A", got)
	}

	call(t, a, "PUT", fmt.Sprintf("/api/v1/articles/%d", art.ID), admin, map[string]any{"title": "Card delivery times",
		"body": "A new card arrives within 3 working days of your order, by courier, to the address on your account.", "intents": []string{"card_arrival", "card_delivery_estimate"}}, 200, nil)
	eventually(t, wait, "B to find the article as edited on A", func() bool {
		got := search(b, "card arrive")
		return len(got) == 1 && got[0] == "Card delivery times"
	})
	if got := ask(); !strings.Contains(got, "3 working days") {
		t.Errorf("the assistant on B answers %q, not from the edited article", got)
	}
}
