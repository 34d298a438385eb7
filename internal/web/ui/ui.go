// Package ui serves Tandem's browser user interface: a small landing page, the "Acme Pay" demo
// merchant page, the agent console and the embeddable chat widget (/widget.js).
//
// Everything is plain HTML, CSS and JavaScript embedded in the binary with go:embed: there is no
// build step, no npm and nothing is fetched at run time. The pages talk to the JSON API under
// /api/v1 and to the WebSocket stream, exactly as documented in docs/api.md.
package ui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed pages static widget.js
var files embed.FS

// pageCSP is sent with every HTML page. Scripts and styles come only from files on this origin
// (no inline script), and the stream needs ws:/wss:, which 'self' does not cover everywhere.
const pageCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; form-action 'self'; " +
	"frame-ancestors 'none'"

// assetCache is short so that a new release reaches browsers (and sites embedding the widget)
// within minutes; the ETag makes revalidation cheap.
const assetCache = "public, max-age=300"

// contentTypes is explicit rather than mime.TypeByExtension, whose answers depend on the host's
// /etc/mime.types.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".ico":  "image/x-icon",
	".json": "application/json",
	".txt":  "text/plain; charset=utf-8",
}

type asset struct {
	name  string
	body  []byte
	ctype string
	etag  string
}

func newAsset(name string, body []byte) *asset {
	sum := sha256.Sum256(body)
	ctype, ok := contentTypes[path.Ext(name)]
	if !ok {
		ctype = "application/octet-stream"
	}
	return &asset{
		name:  name,
		body:  body,
		ctype: ctype,
		etag:  `"` + hex.EncodeToString(sum[:12]) + `"`,
	}
}

func mustAsset(name string) *asset {
	body, err := files.ReadFile(name)
	if err != nil {
		panic(fmt.Sprintf("ui: embedded file %s: %v", name, err))
	}
	return newAsset(name, body)
}

// serve writes a with its type and ETag; http.ServeContent answers If-None-Match with 304.
func (a *asset) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("ETag", a.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(a.body))
}

func page(a *asset) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", pageCSP)
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-cache")
		a.serve(w, r)
	}
}

// Register adds the UI routes to mux, which must support Go 1.22 method patterns:
// GET / (landing page), GET /demo, GET /agent, GET /widget.js and GET /static/…
func Register(mux *http.ServeMux) {
	mux.Handle("GET /{$}", page(mustAsset("pages/index.html")))
	mux.Handle("GET /demo", page(mustAsset("pages/demo.html")))
	mux.Handle("GET /agent", page(mustAsset("pages/agent.html")))
	mux.Handle("GET /admin", page(mustAsset("pages/admin.html")))
	mux.Handle("GET /admin/knowledge", page(mustAsset("pages/knowledge.html")))
	welcome := page(mustAsset("pages/welcome.html")) // one-time links: setup, invitations
	mux.Handle("GET /setup", welcome)
	mux.Handle("GET /invite/{token}", welcome)
	mux.Handle("GET /join/{workspace}", page(mustAsset("pages/join.html")))
	mux.Handle("GET /agent/me", page(mustAsset("pages/me.html")))
	mux.Handle("GET /admin/people", page(mustAsset("pages/people.html")))

	widget := mustAsset("widget.js")
	mux.HandleFunc("GET /widget.js", func(w http.ResponseWriter, r *http.Request) {
		// Loaded by third-party sites: any origin may fetch it.
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Cache-Control", assetCache)
		widget.serve(w, r)
	})

	static := staticAssets()
	mux.HandleFunc("GET /static/", func(w http.ResponseWriter, r *http.Request) {
		a, ok := static[strings.TrimPrefix(r.URL.Path, "/static/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		// widget.css is linked from the widget's shadow DOM on other sites.
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Cache-Control", assetCache)
		a.serve(w, r)
	})
}

// staticAssets maps a path below static/ to its file. Only regular files are listed, so
// directories are never served as listings.
func staticAssets() map[string]*asset {
	m := make(map[string]*asset)
	err := fs.WalkDir(files, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		m[strings.TrimPrefix(p, "static/")] = mustAsset(p)
		return nil
	})
	if err != nil {
		panic(fmt.Sprintf("ui: walking embedded static files: %v", err))
	}
	return m
}
