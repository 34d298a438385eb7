package dispatch

import (
	"context"
	"math"
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

// Ranked is a queued conversation in the order dispatch serves the
// queue, as staff see it.
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
	// CanTake is true when the agent who asked could take the
	// conversation now (Take): available, certified, with the skills its
	// ring requires and a free slot, and nobody else holds an offer of it.
	CanTake bool `json:"can_take"`
}

// rank places the queue by routing.Rank and says what each waiting
// customer is told.
func rank(snap *routing.Snapshot, now time.Time, handle time.Duration) []Ranked {
	places := routing.Rank(*snap, now, handle)
	byID := make(map[int64]*routing.Conversation, len(snap.Queue))
	for i := range snap.Queue {
		byID[snap.Queue[i].ID] = &snap.Queue[i]
	}
	out := make([]Ranked, len(places))
	for i, p := range places {
		c := byID[p.ConversationID]
		info := model.QueueInfo{Position: p.Position, AgentsOnline: p.AgentsOnline}
		if p.WaitKnown {
			w := roundWait(p.Wait)
			info.ExpectedWaitSeconds = &w
		} else {
			info.ExpectedWaitUnknown = true
		}
		out[i] = Ranked{
			ConversationID: c.ID, Position: p.Position, Priority: math.Round(p.Priority*10) / 10, WaitingSeconds: int(now.Sub(c.QueuedAt).Seconds()),
			Ring: p.Ring, Skills: p.Skills, Offered: p.Offered,
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
func (d *Dispatcher) viewQueue(ctx context.Context, workspaceID, seq int64, snap *routing.Snapshot, now time.Time) (queueView, error) {
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
func (d *Dispatcher) tellQueue(ctx context.Context, workspaceID, seq int64, snap *routing.Snapshot, now time.Time) error {
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
		if old, ok := before[r.ConversationID]; !ok || !old.Equal(r.Queue) {
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

// QueueInfo tells a queued conversation where it stands, from a recent
// view of its queue or a fresh one.
func (d *Dispatcher) QueueInfo(ctx context.Context, conv *model.Conversation) (*model.QueueInfo, error) {
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
	set, err := d.Settings(ctx, conv.WorkspaceID)
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
		// Taken meanwhile, or beyond the oldest the snapshot reads: behind
		// everyone in it, with no estimate.
		info = model.QueueInfo{Position: len(v.ranks) + 1, ExpectedWaitUnknown: true}
	}
	return &info, nil
}

// Queue lists a workspace's queued conversations in the order dispatch
// serves them, with why they are where they are, and which of them agent
// agentID could take now.
func (d *Dispatcher) Queue(ctx context.Context, workspaceID, agentID int64) ([]Ranked, error) {
	set, err := d.Settings(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	now := d.now()
	head, err := d.store.HeadSeq(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	snap, err := d.snapshot(ctx, workspaceID, set, now)
	if err != nil {
		return nil, err
	}
	v, err := d.viewQueue(ctx, workspaceID, head, &snap, now)
	if err != nil {
		return nil, err
	}
	out := make([]Ranked, len(v.ranks))
	copy(out, v.ranks)
	can := routing.Takeable(snap, now, agentID)
	for i := range out {
		out[i].CanTake = can[out[i].ConversationID]
	}
	return out, nil
}
