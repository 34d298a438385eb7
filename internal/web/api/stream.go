package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/coder/websocket"

	"github.com/tandem-desk/tandem/internal/desk"
	"github.com/tandem-desk/tandem/internal/model"
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
	streamBatch  = 500
	pingInterval = 25 * time.Second
	writeTimeout = 10 * time.Second
)

// stream serves GET /api/v1/stream. The event log in the database is the
// truth; the bus only says "look again". So a client that reconnects with
// ?after=SEQ gets exactly the events after SEQ — no gap, no duplicate —
// whichever node it reconnects to. The route takes the token as ?token=
// too (routes.go): browsers cannot set headers on a WebSocket.
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
	hasCursor := r.URL.Query().Get("after") != ""
	typingC, typing := a.followTyping(r, act) // ?typing=1: typing indicators too (stream_typing.go)
	if typing != nil {
		defer typing.Close()
	}

	// Subscribe before reading the cursor, so no signal falls in between.
	sub := a.desk.Subscribe(act)
	defer sub.Close()
	if !hasCursor {
		if after, err = a.desk.HeadSeq(r.Context(), act); err != nil {
			return err
		}
	}
	conn, err := websocket.Accept(w, r, opts)
	if err != nil {
		return nil // Accept has written the HTTP error
	}
	defer conn.CloseNow()
	ctx := conn.CloseRead(r.Context()) // we read nothing; this answers pings and notices close

	if err := writeFrame(ctx, conn, frame{Seq: after, Type: "ready"}); err != nil {
		return nil
	}
	ping := time.NewTicker(pingInterval)
	defer ping.Stop()
	for {
		events, err := a.desk.Events(ctx, act, after, streamBatch)
		if err != nil {
			if ctx.Err() == nil {
				a.log.Error("stream: read events", "err", err)
				conn.Close(websocket.StatusInternalError, "internal error")
			}
			return nil
		}
		for _, ev := range events {
			if err := writeFrame(ctx, conn, toFrame(ev)); err != nil {
				return nil
			}
			after = ev.Seq
		}
		if len(events) == streamBatch {
			continue // more to catch up on
		}
		select {
		case <-ctx.Done():
			return nil
		case <-sub.C:
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
