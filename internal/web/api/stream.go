package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/coder/websocket"

	"github.com/tandem-desk/tandem/internal/desk"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/stream"
)

// frame is one event on the stream.
type frame struct {
	Seq            int64           `json:"seq"`
	Type           string          `json:"type"`
	ConversationID *int64          `json:"conversation_id,omitempty"`
	At             *time.Time      `json:"at,omitempty"`
	Data           json.RawMessage `json:"data,omitempty"`
}

const (
	pingInterval = 25 * time.Second
	writeTimeout = 10 * time.Second
)

// stream serves GET /api/v1/stream. The event log in the database is the
// truth; this node reads each new event once for all its streams and hands
// each stream the events its caller may see (internal/stream). So a client
// that reconnects with ?after=SEQ gets exactly the events after SEQ — no
// gap, no duplicate — whichever node it reconnects to. The route takes the
// token as ?token= too (routes.go): browsers cannot set headers on a WebSocket.
func (a *API) stream(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	opts := &websocket.AcceptOptions{}
	if bearer(r) != "" || r.URL.Query().Get("token") != "" {
		// Bearer tokens are not ambient authority: any site may hold the widget.
		opts.OriginPatterns = []string{"*"}
	} // else a cookie: the library's same-origin check applies
	after, err := queryInt(r, "after")
	if err != nil {
		return err
	}
	var cursor *int64 // nil: from the present
	if r.URL.Query().Get("after") != "" {
		cursor = &after
	}
	typingC, typing := a.followTyping(r, act) // ?typing=1: typing indicators too (stream_typing.go)
	if typing != nil {
		defer typing.Close()
	}
	events, err := a.desk.Follow(r.Context(), act, cursor)
	if err != nil {
		return err
	}
	defer events.Close()
	conn, err := websocket.Accept(w, r, opts)
	if err != nil {
		return nil // Accept has written the HTTP error
	}
	defer conn.CloseNow()
	ctx := conn.CloseRead(r.Context()) // we read nothing; this answers pings and notices close

	if err := writeFrame(ctx, conn, frame{Seq: events.Start(), Type: "ready"}); err != nil {
		return nil
	}
	ping := time.NewTicker(pingInterval)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-events.C:
			evs, err := events.Next(ctx)
			switch {
			case errors.Is(err, stream.ErrBehind):
				// Resumable: the client reconnects after the last seq it got.
				conn.Close(websocket.StatusTryAgainLater, "behind: reconnect with after=<last seq>")
				return nil
			case err != nil:
				if ctx.Err() == nil {
					a.log.Error("stream: read events", "err", err)
					conn.Close(websocket.StatusInternalError, "internal error")
				}
				return nil
			}
			for _, ev := range evs {
				if err := writeFrame(ctx, conn, toFrame(ev)); err != nil {
					return nil
				}
			}
		case <-typingC:
			if err := writeTyping(ctx, conn, typing.Next()); err != nil {
				return nil
			}
		case <-ping.C:
			pctx, cancel := context.WithTimeout(ctx, writeTimeout)
			err := conn.Ping(pctx)
			cancel()
			if err != nil {
				return nil
			}
		}
	}
}

func toFrame(ev model.Event) frame {
	at := ev.At
	return frame{Seq: ev.Seq, Type: ev.Type, ConversationID: ev.ConversationID, At: &at, Data: ev.Data}
}

func writeFrame(ctx context.Context, conn *websocket.Conn, f frame) error {
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	return conn.Write(ctx, websocket.MessageText, b)
}
