package stream

// ResumeReads is how many times the hub's followers have read the store to
// catch up (rather than from the feed's memory).
func ResumeReads(h *Hub) int64 { return h.resumeReads.Load() }
