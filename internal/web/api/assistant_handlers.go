package api

import (
	"net/http"

	"github.com/tandem-desk/tandem/internal/desk"
	"github.com/tandem-desk/tandem/internal/model"
)

// presence tells the widget whether anyone of the team is online, so its
// header never promises a quick reply nobody can give.
func (a *API) presence(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	online, err := a.desk.TeamOnline(r.Context(), act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]bool{"team_online": online})
	return nil
}

type articleRequest struct {
	Title     string   `json:"title"`
	Body      string   `json:"body"`
	Language  string   `json:"language"`
	Intents   []string `json:"intents"`
	Published *bool    `json:"published"`
}

func (r articleRequest) input() desk.ArticleInput {
	return desk.ArticleInput{Title: r.Title, Body: r.Body, Language: r.Language, Intents: r.Intents, Published: r.Published == nil || *r.Published}
}

func (a *API) listArticles(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	limit, err := queryInt(r, "limit")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	list, err := a.desk.Articles(r.Context(), act, desk.ArticleQuery{Q: q.Get("q"), Language: q.Get("language"), Limit: int(min(limit, 200))})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"articles": list})
	return nil
}

func (a *API) createArticle(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	var req articleRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	art, err := a.desk.CreateArticle(r.Context(), act, req.input())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, art)
	return nil
}

func (a *API) getArticle(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	art, err := a.desk.Article(r.Context(), act, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, art)
	return nil
}

func (a *API) updateArticle(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req articleRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	art, err := a.desk.UpdateArticle(r.Context(), act, id, req.input())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, art)
	return nil
}

func (a *API) deleteArticle(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := a.desk.DeleteArticle(r.Context(), act, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listIntents(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	list, err := a.desk.Intents(act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"intents": list})
	return nil
}

type actionRequest struct {
	Name         string              `json:"name"`
	Description  string              `json:"description"`
	Parameters   []model.ActionParam `json:"parameters"`
	Endpoint     string              `json:"endpoint"`
	Secret       string              `json:"secret"`
	Intents      []string            `json:"intents"`
	Examples     []string            `json:"examples"`
	UseInHandoff bool                `json:"use_in_handoff"`
	Enabled      *bool               `json:"enabled"`
}

func (r actionRequest) input() desk.ActionInput {
	return desk.ActionInput{Name: r.Name, Description: r.Description, Parameters: r.Parameters, Endpoint: r.Endpoint, Secret: r.Secret,
		Intents: r.Intents, Examples: r.Examples, UseInHandoff: r.UseInHandoff, Enabled: r.Enabled}
}

func (a *API) listActions(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	list, err := a.desk.Actions(r.Context(), act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"actions": list})
	return nil
}

func (a *API) createAction(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	var req actionRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	out, err := a.desk.CreateAction(r.Context(), act, req.input())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (a *API) getAction(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	out, err := a.desk.Action(r.Context(), act, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) updateAction(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req actionRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	out, err := a.desk.UpdateAction(r.Context(), act, id, req.input())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) deleteAction(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := a.desk.DeleteAction(r.Context(), act, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) getAssistantSettings(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	s, err := a.desk.AssistantSettings(r.Context(), act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s)
	return nil
}

func (a *API) putAssistantSettings(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	var req model.AssistantSettings
	if err := decode(w, r, &req); err != nil {
		return err
	}
	s, err := a.desk.SetAssistantSettings(r.Context(), act, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s)
	return nil
}

func (a *API) assistantStats(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	days, err := queryInt(r, "days")
	if err != nil {
		return err
	}
	if days == 0 {
		days = 30
	}
	s, err := a.desk.AssistantStats(r.Context(), act, int(min(days, 1000)))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s)
	return nil
}

func (a *API) feedback(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req struct {
		Helpful   *bool `json:"helpful"`
		MessageID int64 `json:"message_id"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Helpful == nil {
		return badRequest("helpful is required: true or false")
	}
	conv, err := a.desk.Feedback(r.Context(), act, id, *req.Helpful, req.MessageID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, conv)
	return nil
}

func (a *API) copilot(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := a.desk.Copilot(r.Context(), act, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}
