package bus

import (
	"context"
	"sync"
	"time"
)

// Memory is the in-process bus: signals and jobs never leave the process.
// Its work queues live in memory, so they are "durable" only as long as the
// process: what they carry must be recoverable from the database (and in
// Tandem it is — a restarted node re-reads its queues and outbox).
type Memory struct {
	hub  hub
	cast castHub
	// RetryDelay is how long a failed job waits before it is delivered again.
	RetryDelay time.Duration

	mu     sync.Mutex
	queues map[string]*memQueue
}

type memQueue struct {
	jobs []string
	// ready has a token while jobs may be waiting.
	ready chan struct{}
}

// NewMemory returns an empty in-process bus.
func NewMemory() *Memory {
	return &Memory{RetryDelay: time.Second, queues: map[string]*memQueue{}}
}

// Subscribe starts receiving signals for topic. Call Close when done.
func (b *Memory) Subscribe(topic string) *Subscription { return b.hub.subscribe(topic) }

// Publish signals every subscriber of topic without blocking.
func (b *Memory) Publish(topic string) { b.hub.publish(topic) }

// Broadcast hands data to the listeners of topic in this process.
func (b *Memory) Broadcast(topic string, data []byte) error {
	if err := checkBroadcast(topic, data); err != nil {
		return err
	}
	b.cast.deliver(topic, data)
	return nil
}

// Listen starts receiving the broadcasts of topic. Call Close when done.
func (b *Memory) Listen(topic string) *Listener { return b.cast.listen(topic) }

func (b *Memory) queue(name string) *memQueue {
	b.mu.Lock()
	defer b.mu.Unlock()
	q := b.queues[name]
	if q == nil {
		q = &memQueue{ready: make(chan struct{}, 1)}
		b.queues[name] = q
	}
	return q
}

func (b *Memory) push(name, job string) {
	q := b.queue(name)
	b.mu.Lock()
	q.jobs = append(q.jobs, job)
	b.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// pop takes the next job, if any, and passes the ready token on when more wait.
func (b *Memory) pop(q *memQueue) (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(q.jobs) == 0 {
		return "", false
	}
	job := q.jobs[0]
	q.jobs = q.jobs[1:]
	if len(q.jobs) > 0 {
		select {
		case q.ready <- struct{}{}:
		default:
		}
	}
	return job, true
}

// Enqueue adds a job to the queue; it never blocks.
func (b *Memory) Enqueue(ctx context.Context, queue, job string) error {
	b.push(queue, job)
	return nil
}

// Work handles the queue's jobs until ctx ends. A job whose handler fails
// goes back to the queue after RetryDelay.
func (b *Memory) Work(ctx context.Context, queue string, handle Handler) error {
	q := b.queue(queue)
	for {
		if ctx.Err() != nil {
			return nil // a stopped worker takes no more jobs
		}
		job, ok := b.pop(q)
		if !ok {
			select {
			case <-ctx.Done():
				return nil
			case <-q.ready:
				continue
			}
		}
		if err := handle(ctx, job); err != nil {
			if ctx.Err() != nil {
				b.push(queue, job) // the worker is stopping: another may take it at once
				return nil
			}
			time.AfterFunc(b.RetryDelay, func() { b.push(queue, job) })
		}
	}
}

// Close does nothing: an in-process bus holds no outside resources.
func (b *Memory) Close() error { return nil }
