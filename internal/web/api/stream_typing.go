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

// typingFrame is a typing indicator on the stream: transient, outside the
// event log, so it carries no seq (a client's resume cursor never moves on
// it) and is not replayed after a reconnect.
type typingFrame struct {
	Type           string     `json:"type"`
	ConversationID int64      `json:"conversation_id"`
	At             time.Time  `json:"at"`
	Data           typingData `json:"data"`
}

type typingData struct {
	AuthorKind model.AuthorKind `json:"author_kind"`
	Name       string           `json:"name"`
}

// followTyping starts following typing notices when the stream asked for
// them with ?typing=1; otherwise it returns a nil channel, which never fires.
func (a *API) followTyping(r *http.Request, act desk.Actor) (<-chan struct{}, *desk.TypingFeed) {
	if r.URL.Query().Get("typing") != "1" {
		return nil, nil
	}
	f := a.desk.FollowTyping(act)
	return f.C, f
}

// writeTyping sends typing notices as frames of type "typing".
func writeTyping(ctx context.Context, conn *websocket.Conn, notices []desk.TypingNotice) error {
	for _, n := range notices {
		f := typingFrame{Type: "typing", ConversationID: n.ConversationID, At: n.At, Data: typingData{AuthorKind: n.AuthorKind, Name: n.Name}}
		if err := writeJSONFrame(ctx, conn, f); err != nil {
			return err
		}
	}
	return nil
}

func writeJSONFrame(ctx context.Context, conn *websocket.Conn, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	return conn.Write(ctx, websocket.MessageText, b)
}
