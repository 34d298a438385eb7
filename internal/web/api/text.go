package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// checkText refuses, before any handler runs, text that the two databases
// would not store alike: the NUL character (PostgreSQL's text type refuses
// it, SQLite keeps it) and bytes that are not UTF-8 (encoding/json would
// silently turn them into U+FFFD). It looks at the path (and so every path
// value), every query parameter and every string of a JSON body, keys
// included. The body is read once, bounded by MaxBodyBytes, and handed on.
func checkText(w http.ResponseWriter, r *http.Request) error {
	if err := textOK("the path", r.URL.Path); err != nil {
		return err
	}
	for name, values := range r.URL.Query() {
		if err := textOK("query parameter name", name); err != nil {
			return err
		}
		for _, v := range values {
			if err := textOK("query parameter "+strconv.Quote(name), v); err != nil {
				return err
			}
		}
	}
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	r.Body.Close()
	if err != nil {
		return err // too big: 413 in writeError
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if !utf8.Valid(body) {
		return invalidText("the request body is not valid UTF-8")
	}
	return jsonStringsOK(body)
}

func textOK(what, s string) error {
	switch {
	case !utf8.ValidString(s):
		return invalidText("%s is not valid UTF-8", what)
	case strings.IndexByte(s, 0) >= 0:
		return invalidText("%s contains a NUL character (U+0000), which is not accepted", what)
	}
	return nil
}

func invalidText(format string, args ...any) error {
	return &apiError{http.StatusBadRequest, "invalid_text", fmt.Sprintf(format, args...)}
}

// jsonStringsOK walks a JSON body's tokens and refuses a string (a value or
// a key) with a NUL character, naming where it is (customer.name,
// tags[2]). A body that is not JSON is left to decode, which says so.
func jsonStringsOK(body []byte) error {
	type level struct {
		object  bool
		key     string
		index   int
		wantKey bool
	}
	var stack []*level
	where := func() string {
		var b strings.Builder
		for _, l := range stack {
			if l.object {
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(l.key)
			} else {
				fmt.Fprintf(&b, "[%d]", l.index)
			}
		}
		if b.Len() == 0 {
			return "the request body"
		}
		return b.String()
	}
	// valueDone moves the enclosing object or array past a value.
	valueDone := func() {
		if n := len(stack); n > 0 {
			if l := stack[n-1]; l.object {
				l.wantKey = true
			} else {
				l.index++
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // the end, or not JSON: decode reports that
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, &level{object: true, wantKey: true})
			case '[':
				stack = append(stack, &level{})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].wantKey {
				if strings.IndexByte(t, 0) >= 0 {
					return invalidText("the field name %q contains a NUL character (U+0000), which is not accepted", t)
				}
				stack[n-1].key, stack[n-1].wantKey = t, false
				continue
			}
			if strings.IndexByte(t, 0) >= 0 {
				return invalidText("%s contains a NUL character (U+0000), which is not accepted", where())
			}
			valueDone()
		default:
			valueDone()
		}
	}
}
