package api

import (
	"net"
	"net/http"

	"github.com/tandem-desk/tandem/internal/desk"
	"github.com/tandem-desk/tandem/internal/model"
)

func (a *API) widgetSession(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Workspace string `json:"workspace"`
		Customer  struct {
			ExternalID string `json:"external_id"`
			Name       string `json:"name"`
			Email      string `json:"email"`
			Locale     string `json:"locale"`
		} `json:"customer"`
		UserHash string `json:"user_hash"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	token, cust, err := a.desk.OpenWidgetSession(r.Context(), desk.WidgetSession{
		Workspace: req.Workspace, ExternalID: req.Customer.ExternalID, Name: req.Customer.Name,
		Email: req.Customer.Email, Locale: req.Customer.Locale, UserHash: req.UserHash,
		Origin: r.Header.Get("Origin"), Host: r.Host,
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"token": token, "customer_id": cust.ID, "verified": cust.Verified})
	return nil
}

func (a *API) login(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Email == "" || req.Password == "" {
		return badRequest("email and password are required")
	}
	token, agent, err := a.desk.Login(r.Context(), req.Email, req.Password, clientAddr(r))
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https",
	})
	writeJSON(w, http.StatusOK, map[string]any{"token": token, "agent": agent})
	return nil
}

// clientAddr is the address the request came from (the TCP peer; a
// forwarded-for header could be forged, so it is not trusted).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (a *API) logout(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	if err := a.desk.Logout(r.Context(), act); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) me(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	agent, err := a.desk.Me(r.Context(), act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, agent)
	return nil
}

func (a *API) setStatus(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	var req struct {
		Status model.AgentStatus `json:"status"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	agent, err := a.desk.SetStatus(r.Context(), act, req.Status)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, agent)
	return nil
}

func (a *API) agents(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	list, err := a.desk.Agents(r.Context(), act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"agents": list})
	return nil
}

func (a *API) createConversation(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	var req struct {
		Message struct {
			ClientID string `json:"client_id"`
			Body     string `json:"body"`
		} `json:"message"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	conv, created, err := a.desk.StartConversation(r.Context(), act, req.Message.ClientID, req.Message.Body)
	if err != nil {
		return err
	}
	writeJSON(w, createdStatus(created), conv)
	return nil
}

func createdStatus(created bool) int {
	if created {
		return http.StatusCreated
	}
	return http.StatusOK
}

func (a *API) listConversations(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	q := desk.ConversationQuery{Status: model.ConversationStatus(r.URL.Query().Get("status"))}
	switch v := r.URL.Query().Get("assignee"); v {
	case "":
	case "me":
		q.AssignedMe = true
	default:
		return badRequest("assignee must be \"me\"")
	}
	limit, err := queryInt(r, "limit")
	if err != nil {
		return err
	}
	q.Limit = int(min(limit, 500))
	list, err := a.desk.Conversations(r.Context(), act, q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"conversations": list})
	return nil
}

func (a *API) getConversation(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	conv, err := a.desk.Conversation(r.Context(), act, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, conv)
	return nil
}

func (a *API) listMessages(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	after, err := queryInt(r, "after")
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit")
	if err != nil {
		return err
	}
	if limit == 0 {
		limit = 200
	}
	if limit > 1000 {
		return badRequest("limit must be at most 1000")
	}
	msgs, err := a.desk.Messages(r.Context(), act, id, after, int(limit))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": msgs})
	return nil
}

func (a *API) postMessage(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req struct {
		ClientID string `json:"client_id"`
		Body     string `json:"body"`
		Internal bool   `json:"internal"`
		ChoiceID string `json:"choice_id"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	msg, created, err := a.desk.PostMessage(r.Context(), act, id, desk.Post{ClientID: req.ClientID, Body: req.Body, Internal: req.Internal, ChoiceID: req.ChoiceID})
	if err != nil {
		return err
	}
	writeJSON(w, createdStatus(created), msg)
	return nil
}

func (a *API) handoff(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req struct {
		Reason string `json:"reason"`
	}
	if r.ContentLength != 0 { // the body is optional
		if err := decode(w, r, &req); err != nil {
			return err
		}
	}
	conv, err := a.desk.Handoff(r.Context(), act, id, req.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, conv)
	return nil
}

func (a *API) resolve(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	conv, err := a.desk.Resolve(r.Context(), act, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, conv)
	return nil
}

func (a *API) offers(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	list, err := a.desk.Offers(r.Context(), act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"offers": list})
	return nil
}

func (a *API) acceptOffer(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	offer, conv, err := a.desk.AcceptOffer(r.Context(), act, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"offer": offer, "conversation": conv})
	return nil
}

func (a *API) declineOffer(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	offer, err := a.desk.DeclineOffer(r.Context(), act, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, offer)
	return nil
}

func (a *API) triage(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	var req struct {
		Text   string `json:"text"`
		Locale string `json:"locale"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	res, err := a.desk.Triage(r.Context(), act, req.Text, req.Locale)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
