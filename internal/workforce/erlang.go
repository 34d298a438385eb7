// Package workforce holds Tandem's staffing mathematics: the Erlang C
// queue (Poisson arrivals, exponential handling, c agents, customers who
// wait as long as it takes) and the Erlang A queue (the same, with
// customers who give up after an exponential patience). The simulator is
// held against these formulas, and staffing forecasts are built on them.
//
// Every function is pure; rates are per second and times in seconds.
package workforce

import (
	"math"
)

// ErlangB is the probability that all c servers are busy in a loss system
// with offered load a (Erlangs), by the numerically stable recursion
// B(0) = 1, B(k) = a·B(k−1) / (k + a·B(k−1)).
func ErlangB(c int, a float64) float64 {
	if c < 0 || a < 0 {
		return math.NaN()
	}
	b := 1.0
	for k := 1; k <= c; k++ {
		b = a * b / (float64(k) + a*b)
	}
	return b
}

// ErlangCProb is the probability that an arriving customer has to wait in an
// M/M/c queue with offered load a (Erlangs): 1 when a ≥ c, the queue then
// grows without bound.
func ErlangCProb(c int, a float64) float64 {
	if c <= 0 || a >= float64(c) {
		return 1
	}
	if a <= 0 {
		return 0
	}
	b := ErlangB(c, a)
	return float64(c) * b / (float64(c) - a*(1-b))
}

// ErlangC is an M/M/c queue without abandonment.
type ErlangC struct {
	Agents int
	// ArrivalRate is contacts per second.
	ArrivalRate float64
	// AHT is the mean handling time in seconds.
	AHT float64
}

// Load is the offered load in Erlangs: arrival rate × handling time.
func (q ErlangC) Load() float64 { return q.ArrivalRate * q.AHT }

// Stable reports whether the agents can keep up (load < agents).
func (q ErlangC) Stable() bool { return q.Agents > 0 && q.Load() < float64(q.Agents) }

// Occupancy is the fraction of the agents' time spent handling contacts.
func (q ErlangC) Occupancy() float64 {
	if !q.Stable() {
		return 1
	}
	return q.Load() / float64(q.Agents)
}

// ProbWait is the probability that a contact waits at all.
func (q ErlangC) ProbWait() float64 { return ErlangCProb(q.Agents, q.Load()) }

// ServiceLevel is the probability that a contact is answered within t
// seconds: 1 − C·e^(−(cμ−λ)t).
func (q ErlangC) ServiceLevel(t float64) float64 {
	if !q.Stable() {
		return 0
	}
	mu := 1 / q.AHT
	return 1 - q.ProbWait()*math.Exp(-(float64(q.Agents)*mu-q.ArrivalRate)*t)
}

// ASA is the average speed of answer in seconds: C / (cμ − λ).
func (q ErlangC) ASA() float64 {
	if !q.Stable() {
		return math.Inf(1)
	}
	return q.ProbWait() / (float64(q.Agents)/q.AHT - q.ArrivalRate)
}

// AgentsFor is the fewest agents that answer at least target (0…1) of the
// contacts within t seconds, at arrival rate lambda (per second) and
// handling time aht (seconds); 0 when there is no traffic.
func AgentsFor(target, t, lambda, aht float64) int {
	if lambda <= 0 || aht <= 0 {
		return 0
	}
	c := max(1, int(math.Ceil(lambda*aht)))
	for ; ; c++ {
		q := ErlangC{Agents: c, ArrivalRate: lambda, AHT: aht}
		if q.Stable() && q.ServiceLevel(t) >= target {
			return c
		}
	}
}

// ErlangA is an M/M/c+M queue: Erlang C with customers who abandon after
// an exponentially distributed patience. It is stable at any load.
type ErlangA struct {
	Agents int
	// ArrivalRate is contacts per second.
	ArrivalRate float64
	// AHT is the mean handling time in seconds.
	AHT float64
	// Patience is the mean time a customer waits before giving up, in
	// seconds; 0 or +Inf means customers never give up (Erlang C).
	Patience float64
}

// aState is the stationary distribution of the number of customers in an
// Erlang A system, and what a customer arriving to each state can expect.
type aState struct {
	pi []float64 // pi[n]: probability of n customers in the system
	// For an arrival that finds n ≥ c customers (n−c ahead of it in the queue):
	served []float64 // probability it is served before it abandons
	wait   []float64 // E[wait · 1{served}]
}

func (q ErlangA) theta() float64 {
	if q.Patience <= 0 || math.IsInf(q.Patience, 1) {
		return 0
	}
	return 1 / q.Patience
}

// state computes the birth–death stationary distribution, truncated where
// the remaining mass is negligible, in log space so large centres do not
// overflow.
func (q ErlangA) state() aState {
	c, lambda, mu, theta := q.Agents, q.ArrivalRate, 1/q.AHT, q.theta()
	if theta == 0 && lambda >= float64(c)*mu {
		return aState{} // unstable without abandonment
	}
	logs := []float64{0}
	best := 0.0
	for n := 1; ; n++ {
		d := mu*float64(min(n, c)) + theta*float64(max(n-c, 0))
		l := logs[n-1] + math.Log(lambda/d)
		logs = append(logs, l)
		best = math.Max(best, l)
		if n > c && l < best-40 && d > lambda {
			break
		}
		if n > c+2_000_000 {
			break
		}
	}
	pi := make([]float64, len(logs))
	sum := 0.0
	for n, l := range logs {
		pi[n] = math.Exp(l - best)
		sum += pi[n]
	}
	for n := range pi {
		pi[n] /= sum
	}
	st := aState{pi: pi, served: make([]float64, len(pi)), wait: make([]float64, len(pi))}
	// A customer with k others ahead moves up at rate cμ + kθ (a service
	// completion or an abandonment ahead) and abandons at rate θ, so
	// P(served) = Π r_k/(r_k+θ) and E[W·1{served}] = P(served)·Σ 1/(r_k+θ).
	p, s := 1.0, 0.0
	for n := range pi {
		if n < c {
			st.served[n] = 1
			continue
		}
		r := float64(c)*mu + float64(n-c)*theta
		p *= r / (r + theta)
		s += 1 / (r + theta)
		st.served[n], st.wait[n] = p, p*s
	}
	return st
}

// ProbWait is the probability that an arriving contact finds every agent busy.
func (q ErlangA) ProbWait() float64 {
	st := q.state()
	if st.pi == nil {
		return 1
	}
	w := 0.0
	for n := q.Agents; n < len(st.pi); n++ {
		w += st.pi[n]
	}
	return w
}

// AbandonRate is the fraction of contacts that give up before they are answered.
func (q ErlangA) AbandonRate() float64 {
	st := q.state()
	if st.pi == nil {
		return 0
	}
	served := 0.0
	for n, p := range st.pi {
		served += p * st.served[n]
	}
	return 1 - served
}

// ASA is the average wait of the contacts that are answered, in seconds.
func (q ErlangA) ASA() float64 {
	st := q.state()
	if st.pi == nil {
		return math.Inf(1)
	}
	served, wait := 0.0, 0.0
	for n, p := range st.pi {
		served += p * st.served[n]
		wait += p * st.wait[n]
	}
	return wait / served
}

// Occupancy is the fraction of the agents' time spent handling contacts:
// the answered traffic over the agents.
func (q ErlangA) Occupancy() float64 {
	return q.ArrivalRate * (1 - q.AbandonRate()) * q.AHT / float64(q.Agents)
}

// ServiceLevel is the fraction of all arriving contacts answered within t
// seconds (abandoned contacts count as not answered in time).
func (q ErlangA) ServiceLevel(t float64) float64 {
	st := q.state()
	if st.pi == nil {
		return 0
	}
	c, mu, theta := q.Agents, 1/q.AHT, q.theta()
	sl := 0.0
	for n := 0; n < min(c, len(st.pi)); n++ {
		sl += st.pi[n]
	}
	stages := len(st.pi) - c // an arrival finding n ≥ c waits through n−c+1 stages
	if stages <= 0 {
		return sl
	}
	// Uniformization of the killed stage chain: with m stages to go the
	// customer advances at r = cμ + (m−1)θ and abandons at θ.
	rate := func(m int) float64 { return float64(c)*mu + float64(m-1)*theta }
	big := rate(stages) + theta
	v := make([]float64, stages+1) // v[m]: P(served within s steps | m stages to go)
	next := make([]float64, stages+1)
	v[0], next[0] = 1, 1
	lt := big * t
	// Poisson(lt) weights in log space; sum until the tail is negligible.
	g := make([]float64, stages+1) // G[m] = Σ_s Pois(s)·v_s[m]
	acc := 0.0
	for s := 0; ; s++ {
		w := math.Exp(-lt + float64(s)*math.Log(math.Max(lt, 1e-300)) - lgamma(float64(s)+1))
		if lt == 0 {
			w = 0
			if s == 0 {
				w = 1
			}
		}
		for m := 1; m <= stages; m++ {
			g[m] += w * v[m]
		}
		acc += w
		if (acc > 1-1e-13 && float64(s) > lt) || s > int(lt+50*math.Sqrt(lt+1)+100) {
			break
		}
		for m := 1; m <= stages; m++ {
			r := rate(m)
			next[m] = r/big*v[m-1] + (1-(r+theta)/big)*v[m]
		}
		v, next = next, v
	}
	for n := c; n < len(st.pi); n++ {
		sl += st.pi[n] * g[n-c+1]
	}
	return sl
}

func lgamma(x float64) float64 {
	v, _ := math.Lgamma(x)
	return v
}
