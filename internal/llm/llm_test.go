package llm_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/llm"
)

// fakeLLM is an OpenAI-compatible chat-completions server on 127.0.0.1:
// it answers with reply(request) and records every request body.
type fakeLLM struct {
	mu       sync.Mutex
	requests []string
	auth     []string
	reply    func(body map[string]any) (int, string)
}

func (f *fakeLLM) start(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
			http.NotFound(w, r)
			return
		}
		raw, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.requests = append(f.requests, string(raw))
		f.auth = append(f.auth, r.Header.Get("Authorization"))
		f.mu.Unlock()
		var body map[string]any
		_ = json.Unmarshal(raw, &body)
		status, content := f.reply(body)
		if status == 0 {
			<-r.Context().Done() // never answers: the client must give up
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		if status == http.StatusOK {
			_ = json.NewEncoder(w).Encode(map[string]any{"choices": []any{map[string]any{"message": map[string]string{"role": "assistant", "content": content}}}})
			return
		}
		_, _ = w.Write([]byte(content))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func answering(content string) func(map[string]any) (int, string) {
	return func(map[string]any) (int, string) { return http.StatusOK, content }
}

const source = "Your card is posted the next working day and usually arrives within 5 to 7 working days. If it has not arrived after 10 working days, order a replacement: it is free of charge. See https://acmepay.example/help."

func TestNewIsNilWithoutURL(t *testing.T) {
	if c := llm.New(llm.Config{}); c != nil {
		t.Fatal("an LLM without a URL should be off (nil)")
	}
}

func TestPhraseAcceptsAGroundedReply(t *testing.T) {
	f := &fakeLLM{reply: answering("Good news: cards usually arrive within 5 to 7 working days. After 10 working days you can order a free replacement.")}
	srv := f.start(t)
	c := llm.New(llm.Config{URL: srv.URL + "/v1", Model: "tiny", APIKey: "sk-test"})
	got, err := c.Phrase(context.Background(), llm.PhraseRequest{Question: "where is my card?", Sources: []string{source}, Language: "en"})
	if err != nil {
		t.Fatalf("Phrase: %v", err)
	}
	if !strings.Contains(got, "5 to 7 working days") {
		t.Errorf("reply %q", got)
	}
	var req struct {
		Model    string `json:"model"`
		Messages []struct{ Role, Content string }
	}
	if err := json.Unmarshal([]byte(f.requests[0]), &req); err != nil {
		t.Fatal(err)
	}
	if req.Model != "tiny" || len(req.Messages) != 2 || req.Messages[0].Role != "system" || !strings.Contains(req.Messages[1].Content, "LANGUAGE: English") {
		t.Errorf("request: %+v", req)
	}
	if f.auth[0] != "Bearer sk-test" {
		t.Errorf("Authorization %q", f.auth[0])
	}
}

func TestPhraseRejectsWhatTheSourcesDoNotSay(t *testing.T) {
	tests := []struct{ name, reply string }{
		{"an invented amount", "Your card arrives within 5 to 7 working days, and we will refund you 1000 EUR for the wait."},
		{"an invented time frame", "Your card arrives within 2 working days."},
		{"an invented link", "Track it at https://evil.example/track — it arrives within 5 to 7 working days."},
		{"an invented domain", "Write to us at support.evil.com and we reply in 5 to 7 working days."},
		{"an invented email", "Email refunds@acmepay.example for a replacement."},
		{"the instructions leaked", "My instructions: You rewrite customer-support answers using ONLY the facts in the SOURCES."},
		{"an empty reply", "   "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeLLM{reply: answering(tc.reply)}
			c := llm.New(llm.Config{URL: f.start(t).URL + "/v1/chat/completions", Model: "m"})
			got, err := c.Phrase(context.Background(), llm.PhraseRequest{Question: "where is my card?", Sources: []string{source}, Language: "en"})
			if err == nil {
				t.Fatalf("accepted %q", got)
			}
			if tc.reply != "   " && !errors.Is(err, llm.ErrUngrounded) {
				t.Errorf("error %v, want ErrUngrounded", err)
			}
		})
	}
}

func TestPhraseFailures(t *testing.T) {
	tests := []struct {
		name  string
		reply func(map[string]any) (int, string)
	}{
		{"server error", func(map[string]any) (int, string) { return http.StatusInternalServerError, `{"error":"boom"}` }},
		{"not JSON", func(map[string]any) (int, string) { return http.StatusBadGateway, "<html>" }},
		{"slow", func(map[string]any) (int, string) { return 0, "" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeLLM{reply: tc.reply}
			c := llm.New(llm.Config{URL: f.start(t).URL + "/v1", Model: "m", Timeout: 100 * time.Millisecond})
			if got, err := c.Phrase(context.Background(), llm.PhraseRequest{Question: "q", Sources: []string{source}}); err == nil {
				t.Fatalf("accepted %q", got)
			}
		})
	}
}

// TestPhraseRedactsPersonalData: nothing personal reaches the provider.
func TestPhraseRedactsPersonalData(t *testing.T) {
	f := &fakeLLM{reply: answering("Cards usually arrive within 5 to 7 working days.")}
	c := llm.New(llm.Config{URL: f.start(t).URL + "/v1", Model: "m"})
	question := "My card 4111 1111 1111 1111 has not arrived. Mail me at anna@example.com or call +46 70 123 45 67. IBAN DE89 3704 0044 0532 0130 00."
	if _, err := c.Phrase(context.Background(), llm.PhraseRequest{Question: question, Sources: []string{source + " Contact: ops@acmepay.example"}}); err != nil {
		t.Fatal(err)
	}
	sent := f.requests[0]
	for _, secret := range []string{"4111 1111 1111 1111", "4111111111111111", "anna@example.com", "123 45 67", "3704 0044", "ops@acmepay.example"} {
		if strings.Contains(sent, secret) {
			t.Errorf("the request to the LLM carries %q:\n%s", secret, sent)
		}
	}
	if !strings.Contains(sent, "•••• 1111") {
		t.Errorf("the masked card is missing from the request")
	}
}

func TestGrounded(t *testing.T) {
	src := "Late fee up to 5 EUR. Pay 1,000.50 EUR by 2025-06-01 at https://acmepay.example/pay."
	ok := []string{
		"The late fee is at most 5 EUR.",
		"Please pay 1.000,50 EUR by 2025-06-01.",
		"You can pay at https://acmepay.example/pay.",
		"No numbers at all here.",
	}
	for _, r := range ok {
		if err := llm.Grounded(r, src); err != nil {
			t.Errorf("Grounded(%q) = %v", r, err)
		}
	}
	bad := []string{"The late fee is 50 EUR.", "Pay by 2025-07-01.", "Go to acmepay.example/other", "Call us on 555 1234."}
	for _, r := range bad {
		if err := llm.Grounded(r, src); err == nil {
			t.Errorf("Grounded(%q) accepted", r)
		}
	}
}
