package desk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/mail"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/routing"
	"github.com/tandem-desk/tandem/internal/store"
)

// fallbackHandleTime stands in for the recent handling time until a
// workspace has history of its own.
const fallbackHandleTime = 4 * time.Minute

// tellEvery spaces the queue updates a workspace's customers get: the
// positions of everyone behind change whenever someone is served, and a
// busy queue must not write an event per customer per offer.
const tellEvery = 2 * time.Second

// queueState remembers, per workspace, the last computed positions of the
// waiting conversations, what each customer was last told, and when.
type queueState struct {
	mu     sync.Mutex
	view   map[int64]queueView
	told   map[int64]map[int64]model.QueueInfo
	toldAt map[int64]time.Time
}

// queueView is a queue ranked as of the workspace's event log at seq: it
// answers waiting customers' reads until anything else happens.
type queueView struct {
	seq   int64
	infos map[int64]model.QueueInfo
	ranks []Ranked
}

// routingSettings returns a workspace's routing settings: the stored ones
// over the defaults, with the workspace's accept deadline. Settings that no
// longer parse are logged and the defaults apply: dispatch must go on.
func (d *Desk) routingSettings(ctx context.Context, workspaceID int64) (routing.Settings, error) {
	raw, timeout, err := d.store.RoutingSettings(ctx, workspaceID)
	if err != nil {
		return routing.Settings{}, err
	}
	set, err := routing.ParseSettings([]byte(raw))
	if err != nil {
		d.log.Error("routing settings are invalid; using the defaults", "workspace", workspaceID, "err", err)
		set = routing.DefaultSettings()
	}
	if timeout > 0 {
		set.AcceptTimeout = timeout
	}
	return set, nil
}

// snapshot reads what routing decides on and converts it for the policy.
func (d *Desk) snapshot(ctx context.Context, workspaceID int64, set routing.Settings, now time.Time) (routing.Snapshot, error) {
	since := time.Time{}
	if set.StickyWindow > 0 {
		since = now.Add(-set.StickyWindow)
	}
	ds, err := d.store.RoutingSnapshot(ctx, workspaceID, since)
	if err != nil {
		return routing.Snapshot{}, err
	}
	return toRouting(ds, set, workspaceID), nil
}

func toRouting(ds *store.DispatchSnapshot, set routing.Settings, workspaceID int64) routing.Snapshot {
	out := routing.Snapshot{Settings: set, StaffSkills: ds.StaffSkills}
	for _, list := range [][]store.QueuedConversation{ds.Queue, ds.Offered} {
		for _, q := range list {
			out.Queue = append(out.Queue, routing.Conversation{
				ID: q.ID, WorkspaceID: workspaceID, QueuedAt: q.QueuedAt,
				Intent: q.Intent, Sensitive: q.Sensitive, Language: q.Language, Frustrated: q.Frustrated, VIP: q.VIP,
				PreviousAgentID: q.PreviousAgentID, PreviousAt: q.PreviousAt, Tried: q.TriedAgents, Ring: q.Ring,
			})
		}
	}
	for _, a := range ds.Agents {
		idle := a.StatusChangedAt
		if a.LastOfferedAt != nil && a.LastOfferedAt.After(idle) {
			idle = *a.LastOfferedAt
		}
		out.Agents = append(out.Agents, routing.Agent{
			ID: a.ID, Capacity: a.Capacity, Active: a.Active, Skills: a.Skills, Workspaces: a.Workspaces, IdleSince: idle, Quality: a.Quality,
		})
	}
	for _, o := range ds.Pending {
		out.Pending = append(out.Pending, routing.PendingOffer{ID: o.ID, ConversationID: o.ConversationID, AgentID: o.AgentID, CreatedAt: o.CreatedAt, ExpiresAt: o.ExpiresAt})
	}
	return out
}

// applyRescinds withdraws the pending offers the policy found unfit; the
// workspace is then planned again, for the slots they held.
func (d *Desk) applyRescinds(ctx context.Context, workspaceID int64, rescinds []routing.Rescind, now time.Time) {
	for _, r := range rescinds {
		o, err := d.store.RescindOffer(ctx, workspaceID, r.OfferID, now)
		if err != nil {
			d.dispatchError(ctx, "dispatch: rescind offer", "offer", r.OfferID, "err", err)
			continue
		}
		if o != nil {
			d.metrics.OffersClosed("rescinded", 1)
			d.log.Info("offer rescinded", "offer", o.ID, "conversation", o.ConversationID, "agent", o.AgentID, "reason", r.Reason)
			d.changed(workspaceID)
			d.recheckAt(workspaceID, now)
		}
	}
}

// recordWidenings writes the rings that widened into the conversations'
// events: routing never widens silently.
func (d *Desk) recordWidenings(ctx context.Context, snap *routing.Snapshot, widened []routing.Widening, now time.Time) {
	if len(widened) == 0 {
		return
	}
	queued := map[int64]*routing.Conversation{}
	for i := range snap.Queue {
		queued[snap.Queue[i].ID] = &snap.Queue[i]
	}
	for _, w := range widened {
		c := queued[w.ConversationID]
		if c == nil {
			continue
		}
		rec := store.Widening{ConversationID: w.ConversationID, Ring: w.Ring, Skills: w.Skills, WaitedSeconds: int(now.Sub(c.QueuedAt).Seconds())}
		ok, err := d.store.RecordWidening(ctx, c.WorkspaceID, rec, c.QueuedAt, now)
		if err != nil {
			d.dispatchError(ctx, "dispatch: record widening", "conversation", w.ConversationID, "err", err)
			continue
		}
		if ok {
			d.log.Info("required skills widened", "conversation", w.ConversationID, "ring", w.Ring, "skills", w.Skills)
			d.changed(c.WorkspaceID)
		}
	}
}

// autoAway sets away the agents who let too many offers in a row run out.
func (d *Desk) autoAway(ctx context.Context, expired []*model.Offer) {
	type key struct{ ws, agent int64 }
	seen := map[key]bool{}
	for _, o := range expired {
		k := key{o.WorkspaceID, o.AgentID}
		if seen[k] {
			continue
		}
		seen[k] = true
		set, err := d.routingSettings(ctx, o.WorkspaceID)
		if err != nil {
			d.dispatchError(ctx, "dispatch: routing settings", "workspace", o.WorkspaceID, "err", err)
			continue
		}
		if set.ExpiriesBeforeAway <= 0 {
			continue
		}
		agent, away, err := d.store.SetAgentAwayAfterExpiries(ctx, o.WorkspaceID, o.AgentID, set.ExpiriesBeforeAway, d.now())
		if err != nil {
			d.dispatchError(ctx, "dispatch: set agent away", "agent", o.AgentID, "err", err)
			continue
		}
		if away {
			d.log.Info("agent set away", "agent", agent.ID, "reason", agent.StatusReason)
			d.changed(o.WorkspaceID)
			d.markDirty(o.WorkspaceID)
		}
	}
}

// Ranked is a queued conversation in priority order, as staff see the queue.
type Ranked struct {
	ConversationID int64           `json:"conversation_id"`
	Position       int             `json:"position"`
	Priority       float64         `json:"priority"`
	WaitingSeconds int             `json:"waiting_seconds"`
	Ring           int             `json:"ring"`
	Skills         []string        `json:"required_skills"`
	Offered        bool            `json:"offered"`
	VIP            bool            `json:"vip"`
	Frustrated     bool            `json:"frustrated"`
	Sensitive      string          `json:"sensitive,omitempty"`
	Language       string          `json:"language,omitempty"`
	Intent         string          `json:"intent,omitempty"`
	Queue          model.QueueInfo `json:"queue"`
}

// rank orders the queue by priority and tells each conversation where it
// stands: its position, the agents online who can take it (in its widest
// ring), and an expected wait — the conversations ahead of it that free
// slots cannot take at once, worked off at the recent handling time by
// those agents' slots.
func rank(snap *routing.Snapshot, now time.Time, handle time.Duration) []Ranked {
	set := &snap.Settings
	type item struct {
		c    *routing.Conversation
		prio float64
	}
	items := make([]item, len(snap.Queue))
	for i := range snap.Queue {
		items[i] = item{&snap.Queue[i], set.Priority(&snap.Queue[i], now)}
	}
	sort.SliceStable(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if a.prio != b.prio {
			return a.prio > b.prio
		}
		if !a.c.QueuedAt.Equal(b.c.QueuedAt) {
			return a.c.QueuedAt.Before(b.c.QueuedAt)
		}
		return a.c.ID < b.c.ID
	})
	pending := map[int64]int{}
	offered := map[int64]bool{}
	for _, o := range snap.Pending {
		pending[o.AgentID]++
		offered[o.ConversationID] = true
	}
	type staffing struct{ agents, slots, free int }
	byNeed := map[string]staffing{}
	widest := len(set.Rings) - 1
	out := make([]Ranked, len(items))
	for i, it := range items {
		c := it.c
		ring := set.RingAt(now.Sub(c.QueuedAt))
		need := set.Required(c, widest, snap.StaffSkills)
		key := fmt.Sprint(c.WorkspaceID, need)
		st, ok := byNeed[key]
		if !ok {
			for k := range snap.Agents {
				a := &snap.Agents[k]
				if routing.Eligible(a, c.WorkspaceID, need) {
					st.agents++
					st.slots += a.Capacity
					st.free += max(a.Capacity-a.Active-pending[a.ID], 0)
				}
			}
			byNeed[key] = st
		}
		info := model.QueueInfo{Position: i + 1, AgentsOnline: st.agents}
		if st.slots > 0 {
			if ahead := i - st.free; ahead >= 0 && !offered[c.ID] {
				info.ExpectedWaitSeconds = roundWait(time.Duration(ahead+1) * handle / time.Duration(st.slots))
			}
		}
		out[i] = Ranked{
			ConversationID: c.ID, Position: i + 1, Priority: math.Round(it.prio*10) / 10, WaitingSeconds: int(now.Sub(c.QueuedAt).Seconds()),
			Ring: ring, Skills: set.Required(c, ring, snap.StaffSkills), Offered: offered[c.ID],
			VIP: c.VIP, Frustrated: c.Frustrated, Sensitive: c.Sensitive, Language: c.Language, Intent: c.Intent, Queue: info,
		}
	}
	return out
}

// roundWait keeps the estimate honest about its precision, and the
// customer's screen from flickering: 10-second steps under two minutes,
// whole minutes above.
func roundWait(w time.Duration) int {
	s := w.Seconds()
	if s <= 0 {
		return 0
	}
	if s < 120 {
		return int(math.Ceil(s/10) * 10)
	}
	return int(math.Ceil(s/60) * 60)
}

// viewQueue ranks a workspace's queue now and remembers the view as of
// seq, the head of the event log read before the snapshot.
func (d *Desk) viewQueue(ctx context.Context, workspaceID, seq int64, snap *routing.Snapshot, now time.Time) (queueView, error) {
	handle, err := d.store.RecentHandleTime(ctx, workspaceID)
	if err != nil {
		return queueView{}, err
	}
	if handle <= 0 {
		handle = fallbackHandleTime
	}
	v := queueView{seq: seq, infos: map[int64]model.QueueInfo{}, ranks: rank(snap, now, handle)}
	for _, r := range v.ranks {
		v.infos[r.ConversationID] = r.Queue
	}
	d.queue.mu.Lock()
	if d.queue.view == nil {
		d.queue.view = map[int64]queueView{}
	}
	d.queue.view[workspaceID] = v
	d.queue.mu.Unlock()
	return v, nil
}

// tellQueue ranks the queue after a dispatch pass and tells the waiting
// customers whose place changed, on their stream.
func (d *Desk) tellQueue(ctx context.Context, workspaceID, seq int64, snap *routing.Snapshot, now time.Time) error {
	v, err := d.viewQueue(ctx, workspaceID, seq, snap, now)
	if err != nil {
		return err
	}
	d.queue.mu.Lock()
	if d.queue.told == nil {
		d.queue.told = map[int64]map[int64]model.QueueInfo{}
		d.queue.toldAt = map[int64]time.Time{}
	}
	before, last := d.queue.told[workspaceID], d.queue.toldAt[workspaceID]
	d.queue.mu.Unlock()
	if next := last.Add(tellEvery); now.Before(next) {
		d.recheckAt(workspaceID, next) // told a moment ago: tell again then
		return nil
	}
	var updates []store.QueueUpdate
	for _, r := range v.ranks {
		if old, ok := before[r.ConversationID]; !ok || old != r.Queue {
			updates = append(updates, store.QueueUpdate{ConversationID: r.ConversationID, Queue: r.Queue})
		}
	}
	if len(updates) > 0 {
		n, err := d.store.AppendQueueUpdates(ctx, workspaceID, updates, now)
		if err != nil {
			return err
		}
		if n > 0 {
			d.changed(workspaceID)
		}
	}
	d.queue.mu.Lock()
	d.queue.told[workspaceID] = v.infos
	if len(updates) > 0 {
		d.queue.toldAt[workspaceID] = now
	}
	d.queue.mu.Unlock()
	return nil
}

// queueInfo tells a queued conversation where it stands, from a recent
// view of its queue or a fresh one.
func (d *Desk) queueInfo(ctx context.Context, conv *model.Conversation) (*model.QueueInfo, error) {
	now := d.now()
	head, err := d.store.HeadSeq(ctx, conv.WorkspaceID)
	if err != nil {
		return nil, err
	}
	d.queue.mu.Lock()
	v, ok := d.queue.view[conv.WorkspaceID]
	d.queue.mu.Unlock()
	if ok && v.seq == head {
		if info, ok := v.infos[conv.ID]; ok {
			return &info, nil
		}
	}
	set, err := d.routingSettings(ctx, conv.WorkspaceID)
	if err != nil {
		return nil, err
	}
	snap, err := d.snapshot(ctx, conv.WorkspaceID, set, now)
	if err != nil {
		return nil, err
	}
	if v, err = d.viewQueue(ctx, conv.WorkspaceID, head, &snap, now); err != nil {
		return nil, err
	}
	info, ok := v.infos[conv.ID]
	if !ok {
		// Taken meanwhile, or beyond the oldest the snapshot reads: behind everyone in it.
		info = model.QueueInfo{Position: len(v.ranks) + 1}
	}
	return &info, nil
}

// Queue lists a workspace's queued conversations in priority order, with
// why they are where they are; staff only.
func (d *Desk) Queue(ctx context.Context, a Actor) ([]Ranked, error) {
	set, err := d.routingSettings(ctx, a.WorkspaceID)
	if err != nil {
		return nil, err
	}
	now := d.now()
	head, err := d.store.HeadSeq(ctx, a.WorkspaceID)
	if err != nil {
		return nil, err
	}
	snap, err := d.snapshot(ctx, a.WorkspaceID, set, now)
	if err != nil {
		return nil, err
	}
	v, err := d.viewQueue(ctx, a.WorkspaceID, head, &snap, now)
	if err != nil {
		return nil, err
	}
	if v.ranks == nil {
		return []Ranked{}, nil
	}
	return v.ranks, nil
}

// RoutingSettings returns the caller's workspace's routing settings; admins only.
func (d *Desk) RoutingSettings(ctx context.Context, a Actor) (routing.Settings, error) {
	return d.routingSettings(ctx, a.WorkspaceID)
}

// SetRoutingSettings changes the caller's workspace's routing settings:
// the fields given in raw, over the current ones. Admins only.
func (d *Desk) SetRoutingSettings(ctx context.Context, a Actor, raw []byte) (routing.Settings, error) {
	set, err := d.routingSettings(ctx, a.WorkspaceID)
	if err != nil {
		return routing.Settings{}, err
	}
	if err := json.Unmarshal(raw, &set); err != nil {
		var se *routing.SettingsError
		if errors.As(err, &se) {
			return routing.Settings{}, model.Invalid(se.Field, "%s", se.Problem)
		}
		return routing.Settings{}, model.Invalid("settings", "%s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if err := set.Validate(); err != nil {
		var se *routing.SettingsError
		if errors.As(err, &se) {
			return routing.Settings{}, model.Invalid(se.Field, "%s", se.Problem)
		}
		return routing.Settings{}, model.Invalid("settings", "%s", err.Error())
	}
	stored, err := json.Marshal(set)
	if err != nil {
		return routing.Settings{}, err
	}
	if err := d.store.SetRoutingSettings(ctx, a.WorkspaceID, string(stored), set.AcceptTimeout, json.RawMessage(stored), d.now()); err != nil {
		return routing.Settings{}, err
	}
	d.changed(a.WorkspaceID)
	d.Kick(a.WorkspaceID)
	return set, nil
}

// AgentProfile is an admin's change to an agent's routing profile; nil
// fields stay as they are.
type AgentProfile struct {
	Skills       *[]model.AgentSkill
	Languages    *[]string
	Capacity     *int
	QualityScore *float64
	// CertifiedFor lists workspace slugs; the agent's own workspace must be
	// among them for them to get its work.
	CertifiedFor *[]string
}

// Agent returns a staff member of the caller's workspace with their routing profile.
func (d *Desk) Agent(ctx context.Context, a Actor, id int64) (*model.Agent, error) {
	agent, err := d.store.AgentByID(ctx, a.WorkspaceID, id)
	if err != nil {
		return nil, err
	}
	if err := d.store.FillRoutingProfiles(ctx, []*model.Agent{agent}); err != nil {
		return nil, err
	}
	return agent, nil
}

// UpdateAgent changes an agent's skills, languages, capacity, quality score
// or certifications; supervisors and admins. Dispatch looks again at once.
func (d *Desk) UpdateAgent(ctx context.Context, a Actor, id int64, p AgentProfile) (*model.Agent, error) {
	u := store.AgentUpdate{Skills: p.Skills, Languages: p.Languages, Capacity: p.Capacity, Quality: p.QualityScore}
	if p.Skills != nil {
		sk := slices.Clone(*p.Skills)
		for i := range sk {
			sk[i].Name = strings.ToLower(strings.TrimSpace(sk[i].Name))
			if sk[i].Level == 0 {
				sk[i].Level = 3
			}
		}
		u.Skills = &sk
	}
	if p.Languages != nil {
		langs := make([]string, len(*p.Languages))
		for i, l := range *p.Languages {
			langs[i] = strings.ToLower(strings.TrimSpace(l))
		}
		u.Languages = &langs
	}
	if p.CertifiedFor != nil {
		var ids []int64
		for _, slug := range *p.CertifiedFor {
			ws, err := d.store.WorkspaceBySlug(ctx, slug)
			if errors.Is(err, store.ErrNotFound) {
				return nil, model.Invalid("certified_for", "no workspace %q", slug)
			}
			if err != nil {
				return nil, err
			}
			if !slices.Contains(ids, ws.ID) {
				ids = append(ids, ws.ID)
			}
		}
		u.CertifiedFor = &ids
	}
	agent, err := d.store.UpdateAgent(ctx, a.WorkspaceID, id, u, d.now())
	if err != nil {
		return nil, err
	}
	d.changed(a.WorkspaceID)
	d.Kick(a.WorkspaceID)
	return agent, nil
}

// FollowUp records the email a waiting customer wants to be answered at,
// when nobody can take the conversation now. The conversation stays in the
// queue and is served when someone comes online; the customer sees a
// confirmation in the conversation. With mail enabled, the agents' public
// replies are then emailed to the address until the customer writes in
// the chat again (see MailOptions); without, the confirmation promises no
// email: the address is only there for the team.
func (d *Desk) FollowUp(ctx context.Context, a Actor, id int64, email string) (*model.Conversation, error) {
	conv, err := d.conversationFor(ctx, a, id)
	if err != nil {
		return nil, err
	}
	email = strings.TrimSpace(email)
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || len(email) > model.MaxNameLen || !strings.Contains(email[strings.LastIndex(email, "@")+1:], ".") {
		return nil, model.Invalid("email", "must be an email address such as name@example.com")
	}
	if conv.Status != model.StatusQueued {
		return nil, fmt.Errorf("the conversation is %s, not waiting for a person: %w", conv.Status, store.ErrConflict)
	}
	already, err := d.store.FollowUpEmail(ctx, a.WorkspaceID, id)
	if err != nil {
		return nil, err
	}
	if already != email {
		if _, err := d.store.SetFollowUpEmail(ctx, a.WorkspaceID, id, email, d.now()); err != nil {
			return nil, err
		}
		_, _, _, err = d.addMessage(ctx, store.NewMessage{
			WorkspaceID: a.WorkspaceID, ConversationID: id, AuthorKind: model.AuthorSystem,
			Body: followUpNotice(conv, d.mail.Enabled, email),
		}, d.now())
		if err != nil {
			return nil, err
		}
		d.changed(a.WorkspaceID)
	}
	return d.Conversation(ctx, a, id)
}

// followUpNotice is the confirmation a customer gets for a follow-up
// address, in the language triage read in their words (else English): it
// promises an email only when Tandem sends one.
func followUpNotice(conv *model.Conversation, mailEnabled bool, email string) string {
	if mailEnabled {
		return fmt.Sprintf(inLanguage(followUpMailNotices, conv), email)
	}
	return fmt.Sprintf(inLanguage(followUpNoMailNotices, conv), email)
}

// followUpMailNotices and followUpNoMailNotices hold the confirmation with
// and without email sending; %s is the address.
var (
	followUpMailNotices = map[string]string{
		"en": "Thanks — we'll answer here as soon as someone is online, and email you at %s.",
		"sv": "Tack! Vi svarar här så snart någon är på plats, och mejlar dig på %s.",
		"de": "Danke! Wir antworten hier, sobald jemand online ist, und schreiben Ihnen an %s.",
		"es": "¡Gracias! Te responderemos aquí en cuanto haya alguien disponible y te escribiremos a %s.",
		"fr": "Merci ! Nous vous répondrons ici dès que quelqu’un sera en ligne, et vous écrirons à %s.",
	}
	followUpNoMailNotices = map[string]string{
		"en": "Thanks — we'll answer here as soon as someone is online. Our team has your email address, %s, if they need to reach you.",
		"sv": "Tack! Vi svarar här så snart någon är på plats. Vårt team har din e-postadress, %s, om de behöver nå dig.",
		"de": "Danke! Wir antworten hier, sobald jemand online ist. Unser Team hat Ihre E-Mail-Adresse, %s, falls es Sie erreichen muss.",
		"es": "¡Gracias! Te responderemos aquí en cuanto haya alguien disponible. Nuestro equipo tiene tu correo, %s, por si necesita contactarte.",
		"fr": "Merci ! Nous vous répondrons ici dès que quelqu’un sera en ligne. Notre équipe a votre adresse e-mail, %s, si elle doit vous joindre.",
	}
)

// followUpMail is the email an agent's public reply owes a customer who
// left a follow-up address, or nil when there is none to send. The store
// decides, in the reply's transaction, whether the customer is still away.
func (d *Desk) followUpMail(ctx context.Context, conv *model.Conversation, agentName, body string) (*store.FollowUpMail, error) {
	if !d.mail.Enabled {
		return nil, nil
	}
	email, err := d.store.FollowUpEmail(ctx, conv.WorkspaceID, conv.ID)
	if err != nil || email == "" {
		return nil, err
	}
	ws, err := d.store.WorkspaceByID(ctx, conv.WorkspaceID)
	if err != nil {
		return nil, err
	}
	return &store.FollowUpMail{
		Subject: "Re: your conversation with " + ws.Name,
		Intro:   fmt.Sprintf("Hello,\n\nYou asked us to email you when someone from %s answered in the chat.\n\n", ws.Name),
		Part:    agentName + " wrote:\n\n" + body,
		Due:     d.now().Add(d.mail.Delay),
	}, nil
}

// decorateRouting adds what routing knows of a conversation: where it
// stands while queued, and the follow-up email the customer left.
func (d *Desk) decorateRouting(ctx context.Context, conv *model.Conversation) error {
	email, err := d.store.FollowUpEmail(ctx, conv.WorkspaceID, conv.ID)
	if err != nil {
		return err
	}
	conv.FollowUpEmail = email
	conv.FollowUpByEmail = d.mail.Enabled
	if conv.Status == model.StatusQueued {
		if conv.Queue, err = d.queueInfo(ctx, conv); err != nil {
			return err
		}
	}
	return nil
}
