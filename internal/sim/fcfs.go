package sim

import (
	"slices"
	"time"

	"github.com/tandem-desk/tandem/internal/routing"
)

// fcfs is the baseline Tandem's routing is measured against: strict
// first-come-first-free. Contacts are served in arrival order; the oldest
// waits for a free agent with every skill and the language it needs (the
// agent free longest gets it), and nobody behind it is served meanwhile.
// There are no rings, priorities or skill levels.
func fcfs(s *routing.Snapshot, now time.Time) routing.Result {
	var res routing.Result
	known := map[string]bool{}
	for _, k := range s.StaffSkills {
		known[k] = true
	}
	load := map[int64]int{}
	offered := map[int64]bool{}
	for _, o := range s.Pending {
		load[o.AgentID]++
		offered[o.ConversationID] = true
	}
	free := make([]int, len(s.Agents))
	idle := make([]time.Time, len(s.Agents))
	for i, a := range s.Agents {
		free[i] = a.Capacity - a.Active - load[a.ID]
		idle[i] = a.IdleSince
	}
	queue := slices.Clone(s.Queue)
	slices.SortFunc(queue, func(a, b routing.Conversation) int {
		if c := a.QueuedAt.Compare(b.QueuedAt); c != 0 {
			return c
		}
		return cmp(a.ID, b.ID)
	})
	for i := range queue {
		c := &queue[i]
		if offered[c.ID] {
			continue
		}
		need := []string{}
		for _, k := range c.Skills {
			if known[k] {
				need = append(need, k)
			}
		}
		if l := "lang:" + c.Language; c.Language != "" && known[l] {
			need = append(need, l)
		}
		best := -1
		for j, a := range s.Agents {
			if free[j] <= 0 || !slices.Contains(a.Workspaces, c.WorkspaceID) {
				continue
			}
			if at, ok := c.Tried[a.ID]; ok && now.Before(at.Add(s.Settings.Cooldown)) {
				if until := at.Add(s.Settings.Cooldown); res.Recheck.IsZero() || until.Before(res.Recheck) {
					res.Recheck = until
				}
				continue
			}
			ok := true
			for _, k := range need {
				if _, has := a.Skills[k]; !has {
					ok = false
					break
				}
			}
			if ok && (best < 0 || idle[j].Before(idle[best]) || (idle[j].Equal(idle[best]) && a.ID < s.Agents[best].ID)) {
				best = j
			}
		}
		if best < 0 {
			break // strict: the head of the line waits, and so does everyone behind it
		}
		free[best]--
		idle[best] = now
		res.Offers = append(res.Offers, routing.Offer{ConversationID: c.ID, AgentID: s.Agents[best].ID, ExpiresAt: now.Add(s.Settings.AcceptTimeout)})
	}
	return res
}

func cmp(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
