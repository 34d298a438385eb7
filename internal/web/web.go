// Package web assembles Tandem's HTTP surface: the JSON API, the browser
// UI, the public help-centre pages, and the health endpoints. It adds the
// cross-cutting parts — request logging, panic recovery, security headers.
package web

import (
	"context"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tandem-desk/tandem/internal/desk"
	"github.com/tandem-desk/tandem/internal/metrics"
	"github.com/tandem-desk/tandem/internal/people"
	"github.com/tandem-desk/tandem/internal/store"
	"github.com/tandem-desk/tandem/internal/web/api"
	"github.com/tandem-desk/tandem/internal/web/ui"
)

// Options configure the root handler beyond its desk and store.
type Options struct {
	// Metrics counts and times the requests, by route pattern; nil: none.
	Metrics *metrics.Metrics
	// ServeMetrics serves Metrics at GET /metrics on this handler. Off when
	// the operator gives /metrics a listener of its own (--metrics-addr).
	ServeMetrics bool
	// People serves setup, invitations, roles and deactivation; nil: not served.
	People *people.Service
	// Ready, when set, says why the node is not ready beyond its database
	// (a background worker not running); GET /readyz answers 503 with it.
	Ready func() error
}

// Handler returns the server's root handler.
func Handler(d *desk.Desk, st *store.Store, log *slog.Logger, o Options) http.Handler {
	mux := http.NewServeMux()
	if o.ServeMetrics && o.Metrics != nil {
		mux.Handle("GET /metrics", o.Metrics.Handler())
	}
	var opts []api.Option
	if o.People != nil {
		opts = append(opts, api.WithPeople(o.People))
	}
	api.New(d, log, opts...).Register(mux)
	ui.Register(mux)
	mux.HandleFunc("GET /help/{workspace}/articles/{id}", helpArticle(st))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := st.Ping(ctx); err != nil {
			log.Warn("readyz: database unreachable", "err", err)
			http.Error(w, "database unreachable", http.StatusServiceUnavailable)
			return
		}
		if o.Ready != nil {
			if err := o.Ready(); err != nil {
				http.Error(w, err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		w.Write([]byte("ready\n"))
	})
	// Requests are logged and measured outside the recoverer, so that a
	// panic is counted as the 500 it becomes.
	return logRequests(log, o.Metrics, recoverer(log, mux))
}

var articlePage = template.Must(template.New("article").Parse(`<!doctype html>
<html lang="{{.Language}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title><link rel="stylesheet" href="/static/site.css"></head>
<body><main class="help-article"><h1>{{.Title}}</h1>{{range .Paragraphs}}<p>{{.}}</p>{{end}}</main></body></html>`))

// helpArticle renders a published article: the page an assistant answer cites.
func helpArticle(st *store.Store) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		ws, err := st.WorkspaceBySlug(r.Context(), r.PathValue("workspace"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		a, err := st.ArticleByID(r.Context(), ws.ID, id)
		if err != nil || !a.Published {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = articlePage.Execute(w, map[string]any{"Title": a.Title, "Language": a.Language, "Paragraphs": paragraphs(a.Body)})
	}
}

func paragraphs(body string) []string {
	var out []string
	start := 0
	for i := 0; i+1 < len(body); i++ {
		if body[i] == '\n' && body[i+1] == '\n' {
			out = append(out, body[start:i])
			start = i + 2
		}
	}
	return append(out, body[start:])
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController and the WebSocket upgrade reach the connection.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// logRequests logs and measures every request. The route label is the
// pattern the ServeMux matched, which it sets on this very request (never
// the raw path: ids would make a series per conversation).
func logRequests(log *slog.Logger, m *metrics.Metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "strict-origin-when-cross-origin")
		upgrade := strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
		if upgrade {
			m.StreamOpened()
		}
		next.ServeHTTP(rec, r)
		d := time.Since(start)
		// The request is counted before the stream stops counting as open:
		// whoever sees the stream closed then also sees its request.
		m.HTTPRequest(r.Pattern, r.Method, rec.status, d, rec.status == http.StatusSwitchingProtocols)
		if upgrade {
			m.StreamClosed()
		}
		log.Debug("http", "method", r.Method, "path", r.URL.Path, "status", rec.status, "duration", d)
	})
}

func recoverer(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", v)
				http.Error(w, `{"error":{"code":"internal","message":"internal error"}}`, http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}
