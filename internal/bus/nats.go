package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// NATSOptions configure a NATS bus. The zero value is what a server uses.
type NATSOptions struct {
	// Prefix starts every subject the bus uses ("tandem" when empty):
	// signals go to PREFIX.sig.TOPIC, jobs to PREFIX.work.QUEUE. Nodes that
	// must hear each other share it; tests use a random one. Broadcasts go
	// to PREFIX.cast.TOPIC.
	Prefix string
	// Stream names the JetStream stream holding the work queues
	// ("TANDEM_WORK" when empty).
	Stream string
	// AckWait is how long a job may stay unacknowledged before it is given
	// to another worker: a worker that died holds its job this long (30 s
	// when zero).
	AckWait time.Duration
	// RetryDelay is how long a failed job waits before it is delivered
	// again (1 s when zero).
	RetryDelay time.Duration
	// Logger receives connection events; nothing is logged when nil.
	Logger *slog.Logger
	// Name names the connection on the server (monitoring).
	Name string
}

// NATS is the bus of a cluster. Signals are core NATS messages, fanned out
// to every node that subscribes and delivered at most once: they carry no
// data, only "look again", and the database holds the truth. When the
// connection drops and comes back, every local subscriber is signalled,
// since signals may have been lost in between. Jobs are JetStream messages
// in a work-queue stream with one durable pull consumer per queue, shared
// by all nodes: each job is handled by one node and acknowledged after its
// handler succeeds; a failed job is redelivered after RetryDelay, and the
// job of a node that died is redelivered after AckWait.
//
// Broadcasts are core NATS messages too, at most once, reaching the nodes
// that listen to the topic at the time; one sent during a disconnect may
// be lost, and is not made up for: it was only a hint.
type NATS struct {
	nc   *nats.Conn
	js   jetstream.JetStream
	opts NATSOptions
	log  *slog.Logger
	hub  hub
	cast castHub

	mu    sync.Mutex
	subs  map[string]*nats.Subscription // one NATS subscription per locally subscribed topic
	casts map[string]*nats.Subscription // one per topic with local listeners
}

// NewNATS connects to the NATS server at url (nats://host:port, several
// separated by commas) and makes sure the work-queue stream exists.
func NewNATS(ctx context.Context, url string, opts NATSOptions) (*NATS, error) {
	if opts.Prefix == "" {
		opts.Prefix = "tandem"
	}
	if opts.Stream == "" {
		opts.Stream = "TANDEM_WORK"
	}
	if opts.AckWait <= 0 {
		opts.AckWait = 30 * time.Second
	}
	if opts.RetryDelay <= 0 {
		opts.RetryDelay = time.Second
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &NATS{opts: opts, log: log, subs: map[string]*nats.Subscription{}, casts: map[string]*nats.Subscription{}}
	b.hub.first, b.hub.last = b.natsSubscribe, b.natsUnsubscribe
	b.cast.first, b.cast.last = b.natsListen, b.natsUnlisten
	nc, err := nats.Connect(url,
		nats.Name(opts.Name),
		// Our own signals and broadcasts reach local subscribers and
		// listeners directly (see Publish and Broadcast).
		nats.NoEcho(),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250*time.Millisecond),
		nats.Timeout(5*time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			log.Warn("bus: disconnected from NATS", "err", err)
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("bus: reconnected to NATS", "url", nc.ConnectedUrlRedacted())
			b.hub.signalAll() // signals may have been lost: everyone looks again
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("bus: connect to NATS: %w", err)
	}
	b.nc = nc
	if b.js, err = jetstream.New(nc); err != nil {
		nc.Close()
		return nil, fmt.Errorf("bus: jetstream: %w", err)
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err = b.js.CreateOrUpdateStream(sctx, jetstream.StreamConfig{
		Name:        opts.Stream,
		Description: "Tandem work queues (dispatch triggers, webhook fan-out)",
		Subjects:    []string{opts.Prefix + ".work.>"},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		// A job nobody took for three days is stale: what it pointed at
		// has been looked at many times since.
		MaxAge: 72 * time.Hour,
	})
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("bus: create stream %s: %w", opts.Stream, err)
	}
	return b, nil
}

func (b *NATS) sigSubject(topic string) string { return b.opts.Prefix + ".sig." + topic }

func (b *NATS) workSubject(queue string) string { return b.opts.Prefix + ".work." + queue }

func (b *NATS) castSubject(topic string) string { return b.opts.Prefix + ".cast." + topic }

// natsSubscribe runs (under the hub's lock) when a topic gains its first
// local subscriber.
func (b *NATS) natsSubscribe(topic string) {
	b.follow(b.subs, topic, b.sigSubject(topic), "subscribe", func(*nats.Msg) { b.hub.publish(topic) })
}

func (b *NATS) natsUnsubscribe(topic string) { b.unfollow(b.subs, topic) }

// natsListen runs (under the cast hub's lock) when a topic gains its first
// local listener.
func (b *NATS) natsListen(topic string) {
	b.follow(b.casts, topic, b.castSubject(topic), "listen", func(m *nats.Msg) {
		if len(m.Data) <= MaxBroadcast { // another node keeps the bound too; this is a guard
			b.cast.deliver(topic, m.Data)
		}
	})
}

func (b *NATS) natsUnlisten(topic string) { b.unfollow(b.casts, topic) }

// follow subscribes to subject and keeps the subscription in subs (b.subs
// or b.casts, guarded by b.mu) under topic. Only a closed connection or a
// bad subject fails; local subscribers and listeners still work then.
func (b *NATS) follow(subs map[string]*nats.Subscription, topic, subject, what string, handle nats.MsgHandler) {
	sub, err := b.nc.Subscribe(subject, handle)
	if err != nil {
		b.log.Error("bus: "+what, "topic", topic, "err", err)
		return
	}
	b.mu.Lock()
	subs[topic] = sub
	b.mu.Unlock()
}

// unfollow ends the subscription follow kept in subs under topic.
func (b *NATS) unfollow(subs map[string]*nats.Subscription, topic string) {
	b.mu.Lock()
	sub := subs[topic]
	delete(subs, topic)
	b.mu.Unlock()
	if sub != nil {
		_ = sub.Unsubscribe()
	}
}

// Listen starts receiving the broadcasts of topic, from every node.
func (b *NATS) Listen(topic string) *Listener { return b.cast.listen(topic) }

// Broadcast hands data to the listeners of topic on this node at once and
// to the other nodes through NATS. Like Publish it never waits for the
// network: the client buffers. A closed connection reaches this node's
// listeners only, and is no error (the node is shutting down).
func (b *NATS) Broadcast(topic string, data []byte) error {
	if err := checkBroadcast(topic, data); err != nil {
		return err
	}
	b.cast.deliver(topic, data)
	if err := b.nc.Publish(b.castSubject(topic), data); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		return fmt.Errorf("bus: broadcast %s: %w", topic, err)
	}
	return nil
}

// Subscribe starts receiving signals for topic, from every node.
func (b *NATS) Subscribe(topic string) *Subscription { return b.hub.subscribe(topic) }

// Publish signals the subscribers of topic on this node at once and on the
// other nodes through NATS. It never blocks on the network: the client
// buffers, and a signal lost in a disconnect is made up for on reconnect.
func (b *NATS) Publish(topic string) {
	b.hub.publish(topic)
	if err := b.nc.Publish(b.sigSubject(topic), nil); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		b.log.Warn("bus: publish", "topic", topic, "err", err)
	}
}

// Enqueue stores a job in the work-queue stream; it returns once JetStream
// has it.
func (b *NATS) Enqueue(ctx context.Context, queue, job string) error {
	if _, err := b.js.Publish(ctx, b.workSubject(queue), []byte(job)); err != nil {
		return fmt.Errorf("bus: enqueue %s: %w", queue, err)
	}
	return nil
}

// Work consumes the queue through its durable consumer until ctx ends.
func (b *NATS) Work(ctx context.Context, queue string, handle Handler) error {
	if strings.ContainsAny(queue, ".*> ") {
		return fmt.Errorf("bus: queue name %q must be one subject token", queue)
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	cons, err := b.js.CreateOrUpdateConsumer(cctx, b.opts.Stream, jetstream.ConsumerConfig{
		Durable:       queue,
		FilterSubject: b.workSubject(queue),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       b.opts.AckWait,
		MaxDeliver:    -1,
		MaxAckPending: 1024,
	})
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("bus: consumer %s: %w", queue, err)
	}
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		if ctx.Err() != nil {
			_ = msg.Nak() // stopping: let another node have it now
			return
		}
		if err := handle(ctx, string(msg.Data())); err != nil {
			if ctx.Err() != nil {
				_ = msg.Nak() // stopped mid-job: another node may take it at once
				return
			}
			b.log.Debug("bus: job failed; it will be retried", "queue", queue, "err", err)
			_ = msg.NakWithDelay(b.opts.RetryDelay)
			return
		}
		if err := msg.Ack(); err != nil {
			b.log.Warn("bus: ack", "queue", queue, "err", err)
		}
	}, jetstream.PullMaxMessages(1), jetstream.PullExpiry(5*time.Second))
	if err != nil {
		return fmt.Errorf("bus: consume %s: %w", queue, err)
	}
	<-ctx.Done()
	cc.Stop()
	return nil
}

// DeleteStream removes the bus's work-queue stream (tests clean up with it).
func (b *NATS) DeleteStream(ctx context.Context) error {
	return b.js.DeleteStream(ctx, b.opts.Stream)
}

// Close drains the connection: buffered signals and acknowledgements go out first.
func (b *NATS) Close() error {
	if err := b.nc.Drain(); err != nil {
		b.nc.Close()
		return err
	}
	return nil
}
