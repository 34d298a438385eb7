// Package apitest sends requests to Tandem's JSON API in tests: a method,
// a path, an optional bearer token and a body given as JSON or as raw
// bytes, answered with the status, the headers and the body read whole.
package apitest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Raw is a request body sent as is, without JSON encoding.
type Raw string

// Send sends method base+path with client. token, unless empty, goes as a
// bearer token; body is nil (no body), a Raw, or a value sent as JSON. It
// returns the status, the headers and the whole body.
func Send(client *http.Client, base, method, path, token string, body any) (int, http.Header, []byte, error) {
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case Raw:
		r = strings.NewReader(string(b))
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			return 0, nil, nil, err
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, base+path, r)
	if err != nil {
		return 0, nil, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, raw, err
}

// Do is Send that fails the test when the request cannot be made or read.
func Do(t testing.TB, client *http.Client, base, method, path, token string, body any) (int, http.Header, []byte) {
	t.Helper()
	status, hdr, raw, err := Send(client, base, method, path, token, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return status, hdr, raw
}

// Expect requires the status want of the request what, and decodes the
// JSON answer raw into out unless out is nil.
func Expect(t testing.TB, what string, status, want int, raw []byte, out any) {
	t.Helper()
	if status != want {
		t.Fatalf("%s: status %d, want %d; body: %s", what, status, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s: decode %s: %v", what, raw, err)
		}
	}
}
