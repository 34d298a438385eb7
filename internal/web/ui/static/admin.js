/*
 * Tandem admin console: a live overview of the workspace (drawn as inline SVG), agents and their
 * skills, routing and assistant settings, and the workspace's settings (names, allowed widget
 * origins, identity secret) and its webhooks with their delivery logs. Talks to /api/v1 with the staff Bearer token kept in sessionStorage
 * (shared with the agent console and the knowledge-base editor), and follows the WebSocket stream,
 * on which an admin receives every event of the workspace. User-provided text is only ever
 * inserted with textContent / text nodes.
 */
(() => {
  'use strict';

  const TOKEN_KEY = 'tandem.agent.token';
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const VIEWS = ['overview', 'agents', 'conversations', 'reports', 'routing', 'assistant', 'workspace', 'webhooks'];
  const COLORS = { ai: '#6366f1', queued: '#f59e0b', assigned: '#10b981', resolved: '#94a3b8', available: '#22c55e', away: '#f59e0b', offline: '#cbd5e1' };

  const $ = (id) => document.getElementById(id);

  // h builds an HTML element; string children become text nodes, never HTML.
  function h(tag, props, ...kids) {
    const el = document.createElement(tag);
    setProps(el, props);
    for (const c of kids) if (c != null && c !== false) el.append(c);
    return el;
  }

  // svg builds an SVG element the same way.
  function svg(tag, props, ...kids) {
    const el = document.createElementNS(SVG_NS, tag);
    setProps(el, props);
    for (const c of kids) if (c != null && c !== false) el.append(c);
    return el;
  }

  function setProps(el, props) {
    for (const [k, v] of Object.entries(props || {})) {
      if (v == null || v === false) continue;
      if (k === 'class') el.setAttribute('class', v);
      else if (k === 'text') el.textContent = v;
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }

  function storageGet(k) {
    try {
      return sessionStorage.getItem(k);
    } catch (e) {
      return null;
    }
  }
  function storageSet(k, v) {
    try {
      if (v == null) sessionStorage.removeItem(k);
      else sessionStorage.setItem(k, v);
    } catch (e) {
      /* keep working in memory */
    }
  }

  // ---- clock and formatting -----------------------------------------------------------------

  let skew = 0; // server clock minus browser clock, in ms, from the Date header
  const now = () => Date.now() + skew;
  function noteServerDate(res) {
    const d = Date.parse(res.headers.get('Date') || '');
    if (isNaN(d)) return;
    const s = d - Date.now();
    skew = Math.abs(s) > 1500 ? s : 0;
  }

  const pct = (x) => (x == null ? '–' : Math.round(x * 100) + ' %');
  const hhmm = (d) => new Date(d).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

  function duration(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    if (s < 3600) return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
    const m = Math.floor(s / 60);
    return `${Math.floor(m / 60)} h ${m % 60} min`;
  }

  function ago(ms) {
    const s = Math.max(0, Math.round((now() - ms) / 1000));
    if (s < 10) return 'now';
    if (s < 60) return s + ' s ago';
    if (s < 3600) return Math.floor(s / 60) + ' min ago';
    return hhmm(ms);
  }

  function initials(name) {
    const parts = String(name || '?').trim().split(/\s+/).filter(Boolean);
    return ((parts[0] || '?')[0] + (parts.length > 1 ? parts[parts.length - 1][0] : '')).toUpperCase();
  }

  // ---- HTTP -----------------------------------------------------------------------------------

  let token = storageGet(TOKEN_KEY);

  function api(method, path, body) {
    return TandemConsole.request({ token, onUnauthorized: sessionEnded, onResponse: noteServerDate }, method, path, body);
  }


  // ---- notices ------------------------------------------------------------------------------

  let noticeTimer = null;
  function notice(text, kind) {
    const el = $('notice');
    el.textContent = text;
    el.className = 'notice' + (kind ? ' ' + kind : '');
    el.hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => {
      el.hidden = true;
    }, 6000);
  }

  function showError(id, err) {
    const el = $(id);
    el.textContent = err ? err.message || String(err) : '';
    el.hidden = !err;
  }

  // ---- login, logout, "admins only" -------------------------------------------------------------

  let me = null;

  function showOnly(id) {
    for (const v of ['login-view', 'denied-view', 'app']) $(v).hidden = v !== id;
  }

  function showLogin(message) {
    showOnly('login-view');
    const err = $('login-error');
    err.textContent = message || '';
    err.hidden = !message;
    $('login-email').focus();
  }

  function showDenied(agent) {
    showOnly('denied-view');
    $('denied-text').textContent = `You are signed in as ${agent.name || agent.email}, an agent. The admin console is for the workspace's admins: ask one of them if you need a setting changed.`;
  }

  function sessionEnded() {
    if (!token) return;
    token = null;
    storageSet(TOKEN_KEY, null);
    teardown();
    showLogin('Your session has ended. Please sign in again.');
  }

  TandemConsole.bindLogin(api, (r) => {
    token = r.token;
    storageSet(TOKEN_KEY, token);
    start(r.agent);
  });

  async function logout() {
    try {
      await api('POST', '/auth/logout');
    } catch (e) {
      /* the token is dropped locally either way */
    }
    token = null;
    storageSet(TOKEN_KEY, null);
    teardown();
    showLogin();
  }
  $('logout').addEventListener('click', logout);
  $('denied-logout').addEventListener('click', logout);

  function start(agent) {
    me = agent;
    if (agent.role !== 'admin') {
      showDenied(agent);
      return;
    }
    showOnly('app');
    $('me').textContent = agent.name || agent.email;
    $('me').title = agent.email || '';
    loaded.clear();
    route();
    refresh();
    loadAgents();
    loadWorkspaceName();
    startStream();
  }

  function teardown() {
    stopStream();
    me = null;
    stats = null;
    agents = [];
    feed.length = 0;
    $('feed').replaceChildren();
    loaded.clear();
    resetWebhooks();
  }

  async function loadWorkspaceName() {
    try {
      const ws = await api('GET', '/settings/workspace');
      $('workspace-name').textContent = ws.name;
    } catch (e) {
      /* the overview works without it */
    }
  }

  // ---- views --------------------------------------------------------------------------------

  const loaded = new Set(); // views whose data has been loaded since sign-in
  const loaders = { agents: loadAgentsView, conversations: loadConversations, reports: loadReports, routing: loadRouting, assistant: loadAssistant, workspace: loadWorkspace };

  function route() {
    if (!me || me.role !== 'admin') return;
    // #conversations/ID opens a conversation's transcript.
    let [view, arg] = location.hash.slice(1).split('/');
    if (!VIEWS.includes(view)) view = 'overview';
    if (view === 'conversations' && arg) openTranscript(arg);
    for (const v of VIEWS) $('view-' + v).hidden = v !== view;
    for (const a of document.querySelectorAll('.sidenav a[data-view]')) {
      if (a.dataset.view === view) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    document.title = `Tandem · Admin · ${$('view-' + view).querySelector('h1').textContent}`;
    $('notice').hidden = true;
    if (view !== 'workspace') {
      // A new identity secret is shown once, while its view stays open.
      $('secret-new').hidden = true;
      $('secret-value').value = '';
    }
    if (view === 'overview' && stats) renderOverview(); // charts take their box's width
    if (view !== 'webhooks') hideSecret(); // a new signing secret, too
    if (view === 'webhooks') loadWebhooks(); // every visit: other admins may have changed them
    if (loaders[view] && !loaded.has(view)) {
      loaded.add(view);
      loaders[view]();
    }
  }
  window.addEventListener('hashchange', route);

  // ---- overview: the stats ------------------------------------------------------------------

  let stats = null;
  let statsAt = 0; // browser ms when stats were fetched
  let tz = (() => {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || '';
    } catch (e) {
      return '';
    }
  })();

  let inFlight = false;
  let again = false;
  async function refresh() {
    if (!token) return;
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    try {
      let s;
      try {
        s = await api('GET', '/stats/overview' + (tz ? '?tz=' + encodeURIComponent(tz) : ''));
      } catch (e) {
        if (e.status !== 400 || !tz) throw e;
        tz = ''; // a zone the server does not know: fall back to UTC
        s = await api('GET', '/stats/overview');
      }
      stats = s;
      statsAt = Date.now();
      renderOverview();
    } catch (e) {
      if (e.status !== 401) notice("Couldn't load the overview: " + e.message, 'error');
    } finally {
      inFlight = false;
      if (again) {
        again = false;
        scheduleRefresh();
      }
    }
  }

  // scheduleRefresh refetches the stats after a burst of events: 250 ms after the last one, and
  // at least once a second while they keep coming.
  let debounceTimer = null;
  let firstPending = 0;
  function scheduleRefresh() {
    const t = Date.now();
    if (!firstPending) firstPending = t;
    clearTimeout(debounceTimer);
    const wait = Math.max(0, Math.min(250, firstPending + 1000 - t));
    debounceTimer = setTimeout(() => {
      firstPending = 0;
      refresh();
    }, wait);
  }

  function setKPI(id, value, unit) {
    const el = $(id);
    const text = String(value) + (unit || '');
    if (el.dataset.v === text) return;
    const changed = el.dataset.v !== undefined;
    el.dataset.v = text;
    el.replaceChildren(String(value));
    if (unit) el.append(h('span', { class: 'unit' }, unit));
    if (changed) {
      const card = el.closest('.kpi');
      card.classList.remove('flash');
      void card.offsetWidth; // restart the animation
      card.classList.add('flash');
    }
  }

  function renderOverview() {
    const s = stats;
    if (!s) return;
    const c = s.conversations;
    const people = c.queued + c.assigned;
    setKPI('kpi-open', c.ai + people);
    $('kpi-open-sub').textContent = `${c.ai} with the assistant · ${people} with people`;
    setKPI('kpi-queue', s.queue.length);
    renderWait();
    const a = s.agents;
    setKPI('kpi-agents', a.available, ` / ${a.total}`);
    $('kpi-agents-sub').textContent = `${a.away} away · ${a.free_slots} free ${a.free_slots === 1 ? 'slot' : 'slots'}`;
    const as = s.assistant;
    setKPI('kpi-ai', as.answer_rate == null ? '–' : Math.round(as.answer_rate * 100), as.answer_rate == null ? '' : ' %');
    $('kpi-ai-sub').textContent = as.conversations
      ? `${as.answered_without_handover} of ${as.conversations} today without a person`
      : 'No conversations yet today';
    drawDonut($('kpi-ai-donut'), as.answer_rate);
    const cs = s.csat;
    setKPI('kpi-csat', cs.average == null ? '–' : cs.average.toFixed(1), cs.average == null ? '' : ' / 5');
    $('kpi-csat-sub').textContent = cs.ratings
      ? `${pct(cs.satisfied_rate)} satisfied · ${cs.ratings} ${cs.ratings === 1 ? 'rating' : 'ratings'}`
      : 'No ratings yet today';
    drawCSAT($('kpi-csat-chart'), cs.distribution);
    drawStatus($('chart-status'), c);
    drawHours($('chart-hours'), s);
    renderSub();
  }

  function renderSub() {
    if (!stats) return;
    const zone = stats.time_zone === 'UTC' ? 'UTC' : stats.time_zone.replace(/_/g, ' ');
    $('overview-sub').textContent = `Today since midnight (${zone}) · updated ${ago(statsAt + skew)}` +
      (events.live() ? ' · live' : '');
  }

  // renderWait ticks the oldest wait every second between refetches.
  function renderWait() {
    if (!stats) return;
    const q = stats.queue;
    const sub = $('kpi-queue-sub');
    if (!q.length || !q.oldest_queued_at) {
      sub.textContent = 'Nobody is waiting';
      return;
    }
    const wait = (now() - Date.parse(q.oldest_queued_at)) / 1000;
    sub.replaceChildren('longest wait ', h('span', { class: wait >= 120 ? 'warn' : '' }, duration(wait)));
  }
  let resizeTimer = null;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      if (stats && !$('view-overview').hidden) renderOverview();
    }, 150);
  });
  setInterval(() => {
    if (!stats || $('app').hidden) return;
    renderWait();
    renderSub();
    for (const el of document.querySelectorAll('#feed time[data-at]')) el.textContent = ago(Number(el.dataset.at));
  }, 1000);
  // A safety net under the stream, and the turn of the hour.
  setInterval(() => {
    if (token && me && me.role === 'admin' && !document.hidden) refresh();
  }, 30000);
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && token && me && me.role === 'admin') refresh();
  });

  // ---- overview: charts (inline SVG) ----------------------------------------------------------

  function drawDonut(box, rate) {
    const r = 30;
    const c = 2 * Math.PI * r;
    const v = rate == null ? 0 : Math.max(0, Math.min(1, rate));
    box.replaceChildren(
      svg('svg', { viewBox: '0 0 80 80' },
        svg('circle', { cx: 40, cy: 40, r, fill: 'none', stroke: '#eef2ff', 'stroke-width': 10 }),
        svg('circle', {
          cx: 40, cy: 40, r, fill: 'none', stroke: COLORS.ai, 'stroke-width': 10, 'stroke-linecap': v > 0 && v < 1 ? 'round' : 'butt',
          'stroke-dasharray': `${(v * c).toFixed(2)} ${c.toFixed(2)}`, transform: 'rotate(-90 40 40)',
        })));
  }

  function drawCSAT(box, dist) {
    const max = Math.max(1, ...dist);
    const colors = ['#ef4444', '#f97316', '#eab308', '#84cc16', '#22c55e'];
    const g = svg('svg', { viewBox: '0 0 100 62' });
    dist.forEach((n, i) => {
      const hgt = n ? Math.max(3, (n / max) * 42) : 2;
      const x = 4 + i * 19;
      g.append(
        svg('rect', { x, y: 46 - hgt, width: 14, height: hgt, rx: 2, fill: n ? colors[i] : '#e5e7eb' }),
        svg('text', { x: x + 7, y: 60, 'text-anchor': 'middle', 'font-size': 10, fill: '#6b7280' }, String(i + 1)));
    });
    box.replaceChildren(g);
  }

  function drawStatus(fig, c) {
    const rows = [
      { label: 'With the assistant', n: c.ai, color: COLORS.ai },
      { label: 'Waiting for a person', n: c.queued, color: COLORS.queued },
      { label: 'With a person', n: c.assigned, color: COLORS.assigned },
      { label: 'Resolved today', n: c.resolved_today, color: COLORS.resolved },
    ];
    const W = Math.max(300, Math.round(fig.clientWidth) || 460);
    const rowH = 42;
    const x0 = 160;
    const bw = W - x0 - 40;
    const max = Math.max(1, ...rows.map((r) => r.n));
    const g = svg('svg', { viewBox: `0 0 ${W} ${rows.length * rowH}` });
    rows.forEach((r, i) => {
      const y = i * rowH + 10;
      const w = r.n ? Math.max(4, (r.n / max) * bw) : 0;
      g.append(
        svg('text', { class: 'label', x: 0, y: y + 16 }, r.label),
        svg('rect', { class: 'track', x: x0, y, width: bw, height: 22, rx: 6 }),
        svg('rect', { class: 'bar', x: x0, y, width: w.toFixed(1), height: 22, rx: 6, fill: r.color }),
        svg('text', { class: 'value', x: x0 + w + 8, y: y + 16 }, String(r.n)));
    });
    fig.replaceChildren(g);
    fig.setAttribute('aria-label', 'Conversations by status: ' + rows.map((r) => `${r.label.toLowerCase()} ${r.n}`).join(', '));
  }

  // niceMax rounds a chart's top up to 1, 2, 2.5 or 5 times a power of ten.
  function niceMax(v) {
    if (v <= 4) return 4;
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
    return 10 * p;
  }

  function drawHours(fig, s) {
    const hours = s.hours || [];
    const W = Math.max(320, Math.round(fig.clientWidth) || 620);
    const H = 200;
    const L = 34;
    const R = 12;
    const T = 12;
    const B = 26;
    const slots = Math.max(24, hours.length);
    const step = (W - L - R) / slots;
    const max = niceMax(Math.max(0, ...hours.map((x) => x.conversations)));
    const y = (v) => T + (H - T - B) * (1 - v / max);
    const x = (i) => L + step * (i + 0.5);
    const g = svg('svg', { viewBox: `0 0 ${W} ${H}` });
    for (const v of [0, max / 2, max]) {
      g.append(
        svg('line', { class: 'grid', x1: L, x2: W - R, y1: y(v), y2: y(v) }),
        svg('text', { x: L - 8, y: y(v) + 4, 'text-anchor': 'end' }, String(Math.round(v * 10) / 10)));
    }
    // day_start is midnight where the overview counts days: hour i of the day is i:00 there.
    for (let i = 0; i <= slots; i += 6) {
      g.append(svg('text', { x: L + step * i, y: H - 6, 'text-anchor': i === 0 ? 'start' : i === slots ? 'end' : 'middle' },
        String(i).padStart(2, '0') + ':00'));
    }
    if (hours.length) {
      const line = (key) => hours.map((p, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)},${y(p[key]).toFixed(1)}`).join(' ');
      const last = hours.length - 1;
      const area = `${line('conversations')} L${x(last).toFixed(1)},${y(0)} L${x(0).toFixed(1)},${y(0)} Z`;
      g.append(
        svg('defs', {}, svg('linearGradient', { id: 'hours-fill', x1: 0, x2: 0, y1: 0, y2: 1 },
          svg('stop', { offset: '0%', 'stop-color': COLORS.ai, 'stop-opacity': 0.28 }),
          svg('stop', { offset: '100%', 'stop-color': COLORS.ai, 'stop-opacity': 0.02 }))),
        svg('path', { d: area, fill: 'url(#hours-fill)' }),
        svg('path', { d: line('handed_over'), fill: 'none', stroke: COLORS.queued, 'stroke-width': 2, 'stroke-dasharray': '4 3', 'stroke-linejoin': 'round' }),
        svg('path', { d: line('conversations'), fill: 'none', stroke: '#4f46e5', 'stroke-width': 2.5, 'stroke-linejoin': 'round', 'stroke-linecap': 'round' }),
        svg('circle', { cx: x(last), cy: y(hours[last].conversations), r: 4.5, fill: '#4f46e5', stroke: '#fff', 'stroke-width': 2 }),
        svg('text', { class: 'value', x: x(last), y: y(hours[last].conversations) - 10, 'text-anchor': 'middle' }, String(hours[last].conversations)));
    }
    fig.replaceChildren(g);
    const total = hours.reduce((n, p) => n + p.conversations, 0);
    fig.setAttribute('aria-label', `${total} conversations today; ${hours.length ? hours[hours.length - 1].conversations : 0} this hour`);
  }

  // ---- overview: the team -------------------------------------------------------------------

  let agents = [];
  let agentsTimer = null;

  async function loadAgents() {
    try {
      const r = await api('GET', '/agents');
      agents = (r && r.agents) || [];
      renderTeam();
      if (loaded.has('agents')) renderAgentsTable();
    } catch (e) {
      if (e.status !== 401) notice("Couldn't load the agents: " + e.message, 'error');
    }
  }

  function scheduleAgents() {
    clearTimeout(agentsTimer);
    agentsTimer = setTimeout(loadAgents, 300);
  }

  const statusOrder = { available: 0, away: 1, offline: 2 };
  function sortedAgents() {
    return [...agents].sort((a, b) => (statusOrder[a.status] ?? 3) - (statusOrder[b.status] ?? 3) || String(a.name).localeCompare(b.name));
  }

  function loadMeter(a) {
    const cap = a.capacity || 0;
    const act = a.active_conversations || 0;
    const frac = cap ? Math.min(1, act / cap) : 0;
    const bar = h('span', { class: act >= cap && cap ? 'full' : '' });
    bar.style.width = (frac * 100).toFixed(0) + '%';
    return h('span', { class: 'load', title: `${act} of ${cap} conversations` }, h('span', { class: 'meter' }, bar), `${act}/${cap}`);
  }

  function statusPill(status) {
    return h('span', { class: 'pill ' + status }, { available: 'Available', away: 'Away', offline: 'Offline' }[status] || status);
  }

  function renderTeam() {
    const ul = $('team');
    const list = sortedAgents();
    ul.replaceChildren(...list.map((a) => h('li', {},
      h('span', { class: 'person' },
        h('span', { class: 'avatar ' + a.status, 'aria-hidden': 'true' }, initials(a.name)),
        h('span', {}, h('span', { class: 'name' }, a.name || a.email), h('br'), h('span', { class: 'role' }, a.role === 'admin' ? 'Admin' : 'Agent'))),
      statusPill(a.status),
      a.status === 'offline' ? h('span', { class: 'load' }, '') : loadMeter(a))));
    const bar = $('team-bar');
    const counts = { available: 0, away: 0, offline: 0 };
    for (const a of list) if (a.status in counts) counts[a.status]++;
    bar.replaceChildren(...Object.entries(counts).map(([k, n]) => {
      const seg = h('span', { title: `${n} ${k}` });
      seg.style.flexGrow = String(n);
      seg.style.background = COLORS[k];
      return seg;
    }));
  }

  // ---- overview: live activity --------------------------------------------------------------

  const feed = [];
  const agentName = (id) => (agents.find((a) => a.id === id) || {}).name || `agent #${id}`;

  function describe(ev) {
    const d = ev.data || {};
    const conv = `#${ev.conversation_id || d.id || d.conversation_id || '?'}`;
    const who = d.customer_name || 'a visitor';
    switch (ev.type) {
      case 'conversation.created': return ['ai', `New conversation ${conv} from ${who}`];
      case 'conversation.queued': return ['queued', `${conv} handed to people (${who})`];
      case 'conversation.assigned': return ['assigned', `${conv} taken by ${d.assignee_name || 'an agent'}`];
      case 'conversation.resolved': return ['resolved', `${conv} resolved${d.resolved_by === 'assistant' ? ' by the assistant' : d.assignee_name ? ' by ' + d.assignee_name : ''}`];
      case 'conversation.reopened': return ['ai', `${conv} reopened by ${who}`];
      case 'csat.submitted': return ['csat', `${conv} rated ${'★'.repeat(d.score || 0)}${'☆'.repeat(5 - (d.score || 0))}`];
      case 'agent.status_changed': return [d.status === 'available' ? 'assigned' : 'resolved', `${d.name || 'An agent'} is ${d.status}`];
      case 'offer.expired': return ['queued', `${agentName(d.agent_id)} let an offer for #${d.conversation_id} run out`];
      case 'offer.declined': return ['resolved', `${agentName(d.agent_id)} passed on #${d.conversation_id}`];
      default:
        if (ev.type.startsWith('settings.')) return ['resolved', 'Settings changed'];
        return null;
    }
  }

  function addFeed(ev) {
    const line = describe(ev);
    if (!line) return;
    const at = Date.parse(ev.at) || now();
    const li = h('li', {}, h('span', { class: 'dot ' + line[0], 'aria-hidden': 'true' }), h('span', { class: 'what', title: line[1] }, line[1]),
      h('time', { datetime: new Date(at).toISOString(), 'data-at': at }, ago(at)));
    const ol = $('feed');
    ol.prepend(li);
    while (ol.children.length > 30) ol.lastElementChild.remove();
    $('feed-empty').hidden = true;
  }

  // ---- the stream -----------------------------------------------------------------------------

  let lastSeq = null;

  function setConn(text, kind) {
    const el = $('conn');
    el.textContent = text;
    el.className = 'conn ' + kind;
  }

  const events = TandemConsole.stream({
    token: () => token,
    seq: () => lastSeq,
    onEvent: (ev) => onEvent(ev),
    onState: setConn,
    probe: () => api('GET', '/agents/me'),
  });

  function startStream() {
    events.start();
  }

  function stopStream() {
    events.stop();
    lastSeq = null;
  }


  // Events that do not move any figure of the overview.
  const QUIET = new Set(['offer.created', 'offer.declined', 'offer.expired', 'offer.rescinded', 'conversation.queue_updated', 'conversation.ring_widened']);

  function onEvent(ev) {
    if (!ev || typeof ev.type !== 'string') return;
    if (typeof ev.seq === 'number') lastSeq = ev.seq;
    if (ev.type === 'ready') {
      refresh();
      loadAgents();
      return;
    }
    addFeed(ev);
    hookEvent();
    if (ev.type.startsWith('agent.') || ev.type === 'conversation.assigned' || ev.type === 'conversation.resolved') scheduleAgents();
    if (ev.type === 'settings.workspace_updated' && ev.data && ev.data.name) $('workspace-name').textContent = ev.data.name;
    if (!QUIET.has(ev.type) && !ev.type.startsWith('settings.')) scheduleRefresh();
  }

  // ---- agents and their skills ----------------------------------------------------------------

  // Editing goes through PUT /api/v1/agents/{id} ({"skills":[{"name","level"}],"languages":[…],
  // "capacity":N}); the list (GET /api/v1/agents) carries each agent's routing profile.
  let editing = null;

  async function loadAgentsView() {
    await loadAgents();
    renderAgentsTable();
  }

  function skillTags(a) {
    const skills = (a.skills || []).filter((s) => !s.name.startsWith('lang:'));
    if (!skills.length) return h('span', { class: 'none' }, '—');
    return h('span', {}, ...skills.map((s) => h('span', { class: 'tag', title: `level ${s.level} of 5` }, s.name, h('b', {}, String(s.level)))));
  }

  function renderAgentsTable() {
    const tbody = $('agents-rows');
    tbody.replaceChildren(...sortedAgents().map((a) => {
      const langs = a.languages || [];
      const st = a.offer_stats;
      const edit = h('button', { type: 'button', class: 'ghost small', 'aria-label': `Edit ${a.name}`, onclick: () => editAgent(a) }, 'Edit');
      return h('tr', { class: editing && editing.id === a.id ? 'editing' : '' },
        h('td', {}, h('span', { class: 'person' },
          h('span', { class: 'avatar ' + a.status, 'aria-hidden': 'true' }, initials(a.name)),
          h('span', {}, h('span', { class: 'name' }, a.name || a.email), h('br'), h('span', { class: 'role' }, a.role === 'admin' ? `${a.email} · admin` : a.email)))),
        h('td', {}, statusPill(a.status)),
        h('td', {}, loadMeter(a)),
        h('td', {}, skillTags(a)),
        h('td', {}, langs.length ? langs.join(', ') : h('span', { class: 'none' }, '—')),
        h('td', {}, st && st.received ? `${Math.round(st.acceptance_rate * 100)} % of ${st.received}` : h('span', { class: 'none' }, '—')),
        h('td', {}, edit));
    }));
  }

  function editAgent(a) {
    editing = a;
    $('agent-form-h').textContent = `Edit ${a.name}`;
    $('agent-capacity').value = a.capacity;
    $('agent-languages').value = (a.languages || []).join(', ');
    $('agent-skills').value = (a.skills || []).filter((s) => !s.name.startsWith('lang:')).map((s) => `${s.name}:${s.level}`).join(', ');
    showError('agent-error', null);
    $('agent-form').hidden = false;
    renderAgentsTable();
    $('agent-capacity').focus();
  }

  $('agent-cancel').addEventListener('click', () => {
    editing = null;
    $('agent-form').hidden = true;
    renderAgentsTable();
  });

  $('agent-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!editing) return;
    const skills = [];
    for (const part of $('agent-skills').value.split(',').map((s) => s.trim()).filter(Boolean)) {
      const [name, level] = part.split(':').map((s) => s.trim());
      const lv = level ? Number(level) : 3;
      if (!name || !Number.isInteger(lv) || lv < 1 || lv > 5) {
        showError('agent-error', new Error(`"${part}": a skill is a name with an optional level from 1 to 5, as in cards:4`));
        return;
      }
      skills.push({ name, level: lv });
    }
    const body = {
      capacity: Number($('agent-capacity').value),
      languages: $('agent-languages').value.split(',').map((s) => s.trim()).filter(Boolean),
      skills,
    };
    $('agent-save').disabled = true;
    try {
      await api('PUT', `/agents/${editing.id}`, body);
      notice(`Saved ${editing.name}.`, 'ok');
      editing = null;
      $('agent-form').hidden = true;
      await loadAgents();
      renderAgentsTable();
    } catch (ex) {
      showError('agent-error', ex.missing ? new Error('This server cannot change agents (no PUT /api/v1/agents/{id}).') : ex);
    } finally {
      $('agent-save').disabled = false;
    }
  });

  // ---- routing ------------------------------------------------------------------------------

  let routing = null;
  const REQUIRE = [['primary', 'Main skill'], ['secondary', 'Other skills'], ['language', 'Language']];

  async function loadRouting() {
    try {
      routing = await api('GET', '/settings/routing');
    } catch (e) {
      $('routing-form').hidden = true;
      $('routing-missing').hidden = false;
      if (!e.missing) $('routing-missing').textContent = "Couldn't load the routing settings: " + e.message;
      return;
    }
    $('routing-missing').hidden = true;
    $('routing-form').hidden = false;
    $('r-accept').value = Math.round(routing.accept_seconds);
    $('r-capacity').value = routing.default_capacity;
    $('r-expiries').value = routing.expiries_before_away;
    $('r-sla').value = Math.round(routing.sla_seconds);
    const p = routing.priority || {};
    $('r-vip').value = Math.round(p.vip_seconds || 0);
    $('r-frustrated').value = Math.round(p.frustrated_seconds || 0);
    $('r-sensitive').value = Math.round(p.sensitive_seconds || 0);
    $('r-slarisk').value = Math.round(p.sla_risk_seconds || 0);
    renderRings(routing.rings || []);
  }

  function renderRings(rings) {
    const box = $('r-rings');
    box.replaceChildren(...rings.map((r, i) => {
      const after = i === 0 ? null : h('input', { type: 'number', min: 1, max: 86400, step: 1, value: Math.round(r.after_seconds), 'aria-label': `Ring ${i + 1}: after seconds` });
      const checks = REQUIRE.map(([k, label]) => h('label', { class: 'check' },
        h('input', { type: 'checkbox', value: k, checked: (r.require || []).includes(k) }), label));
      const remove = i ? h('button', { type: 'button', class: 'ghost small', 'aria-label': `Remove ring ${i + 1}`, onclick: () => {
        const rs = readRings();
        rs.splice(i, 1);
        renderRings(rs);
      } }, 'Remove') : null;
      const lead = i === 0 ? h('span', { class: 'ring-lead' }, 'At once, require') : h('span', { class: 'ring-lead' }, 'After', after, 's, require');
      return h('div', { class: 'ring', role: 'group', 'aria-label': `Ring ${i + 1}` }, lead, ...checks, remove);
    }));
  }

  function readRings() {
    return [...$('r-rings').children].map((row) => ({
      after_seconds: Number((row.querySelector('input[type="number"]') || {}).value) || 0,
      require: [...row.querySelectorAll('input[type="checkbox"]:checked')].map((c) => c.value),
    }));
  }

  $('r-add-ring').addEventListener('click', () => {
    const rs = readRings();
    const last = rs.length ? rs[rs.length - 1].after_seconds : 0;
    rs.push({ after_seconds: last + 60, require: [] });
    renderRings(rs);
  });

  $('routing-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = {
      accept_seconds: Number($('r-accept').value),
      default_capacity: Number($('r-capacity').value),
      expiries_before_away: Number($('r-expiries').value),
      sla_seconds: Number($('r-sla').value),
      rings: readRings(),
      priority: {
        vip_seconds: Number($('r-vip').value), frustrated_seconds: Number($('r-frustrated').value),
        sensitive_seconds: Number($('r-sensitive').value), sla_risk_seconds: Number($('r-slarisk').value),
      },
    };
    $('routing-save').disabled = true;
    try {
      routing = await api('PUT', '/settings/routing', body);
      showError('routing-error', null);
      notice('Routing settings saved. Dispatch uses them from now on.', 'ok');
      renderRings(routing.rings || []);
    } catch (ex) {
      showError('routing-error', ex);
    } finally {
      $('routing-save').disabled = false;
    }
  });

  // ---- assistant ----------------------------------------------------------------------------

  let policy = null;
  let intents = [];
  let alwaysHuman = [];

  async function loadAssistant() {
    try {
      const [p, list] = await Promise.all([api('GET', '/settings/assistant'), api('GET', '/intents').catch(() => ({ intents: [] }))]);
      intents = (list && list.intents) || [];
      $('p-intents').replaceChildren(...intents.map((i) => h('option', { value: i })));
      fillPolicy(p);
    } catch (e) {
      showError('policy-error', e);
    }
    try {
      const s = await api('GET', '/settings/conversation');
      $('a-offer').value = s.offer_person_after < 0 ? -1 : s.offer_person_after;
      $('a-feedback').checked = s.ask_feedback !== false;
      $('conv-form').hidden = false;
    } catch (e) {
      $('conv-form').hidden = e.missing;
      if (!e.missing) showError('conv-error', e);
    }
  }

  const asPct = (v) => (v ? String(Math.round(v * 1000) / 10) : '');

  function fillPolicy(p) {
    policy = p;
    const pol = p.policy || {};
    const eff = p.effective;
    $('p-precision').value = asPct(pol.answer_precision);
    $('p-precision').placeholder = asPct(eff.answer_precision);
    $('p-clarify').value = asPct(pol.clarify_threshold);
    $('p-clarify').placeholder = asPct(eff.clarify_threshold);
    $('p-oos').value = asPct(pol.out_of_scope_threshold);
    $('p-oos').placeholder = asPct(eff.out_of_scope_threshold);
    $('p-threshold-help').textContent = pol.answer_threshold
      ? `A fixed threshold is set: the assistant answers from ${asPct(eff.answer_threshold)} % confidence.`
      : `At ${asPct(eff.answer_precision)} % precision the assistant answers from ${asPct(eff.answer_threshold)} % confidence.`;
    $('p-vip').checked = !!pol.vip_to_human;
    $('p-frustrated').checked = !!pol.answer_when_frustrated;
    alwaysHuman = [...(pol.always_human || [])];
    renderChips();
  }

  function renderChips() {
    $('p-always-chips').replaceChildren(...alwaysHuman.map((i) => h('span', { class: 'chip' }, i.replace(/_/g, ' '),
      h('button', { type: 'button', 'aria-label': `Remove ${i}`, onclick: () => {
        alwaysHuman = alwaysHuman.filter((x) => x !== i);
        renderChips();
      } }, '×'))));
  }

  $('p-always').addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    e.preventDefault();
    addIntent();
  });
  $('p-always').addEventListener('change', () => {
    if (intents.includes($('p-always').value.trim())) addIntent();
  });

  function addIntent() {
    const v = $('p-always').value.trim();
    if (!v) return;
    if (intents.length && !intents.includes(v)) {
      showError('policy-error', new Error(`"${v}" is not an intent the assistant knows; pick one from the list.`));
      return;
    }
    showError('policy-error', null);
    if (!alwaysHuman.includes(v)) alwaysHuman.push(v);
    $('p-always').value = '';
    renderChips();
  }

  async function savePolicy(body) {
    $('policy-save').disabled = true;
    try {
      fillPolicy(await api('PUT', '/settings/assistant', { policy: body }));
      showError('policy-error', null);
      notice('Assistant settings saved. They apply to the next message.', 'ok');
    } catch (ex) {
      showError('policy-error', ex);
    } finally {
      $('policy-save').disabled = false;
    }
  }

  $('policy-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const body = {};
    const num = (id) => {
      const v = $(id).value.trim();
      return v === '' ? null : Number(v) / 100;
    };
    const prec = num('p-precision');
    const clar = num('p-clarify');
    const oos = num('p-oos');
    if (prec != null) body.answer_precision = prec;
    if (clar != null) body.clarify_threshold = clar;
    if (oos != null) body.out_of_scope_threshold = oos;
    if (policy && policy.policy && policy.policy.answer_threshold) body.answer_threshold = policy.policy.answer_threshold;
    if (alwaysHuman.length) body.always_human = alwaysHuman;
    if ($('p-vip').checked) body.vip_to_human = true;
    if ($('p-frustrated').checked) body.answer_when_frustrated = true;
    savePolicy(body);
  });
  $('policy-reset').addEventListener('click', () => savePolicy({}));

  $('conv-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    $('conv-save').disabled = true;
    try {
      await api('PUT', '/settings/conversation', { offer_person_after: Number($('a-offer').value), ask_feedback: $('a-feedback').checked });
      showError('conv-error', null);
      notice('Saved.', 'ok');
    } catch (ex) {
      showError('conv-error', ex);
    } finally {
      $('conv-save').disabled = false;
    }
  });

  // ---- workspace ----------------------------------------------------------------------------

  function fillWorkspace(s) {
    $('workspace-sub').textContent = `Workspace “${s.slug}”. Embed the widget with data-workspace="${s.slug}".`;
    $('workspace-name').textContent = s.name;
    $('ws-name').value = s.name;
    $('ws-assistant').value = s.assistant_name;
    $('ws-origins').value = (s.allowed_origins || []).join('\n');
    const n = (s.allowed_origins || []).length;
    $('origins-state').textContent = n === 0 ? 'Any site may open the widget.'
      : n === 1 ? 'Only this site may open the widget.' : `Only these ${n} sites may open the widget.`;
    $('secret-masked').textContent = s.identity_secret_set
      ? '••••••••••••••••' + (s.identity_secret_hint || '')
      : 'not set — customers cannot be verified';
    $('secret-rotate').textContent = s.identity_secret_set ? 'Rotate secret…' : 'Create a secret…';
  }

  async function loadWorkspace() {
    try {
      fillWorkspace(await api('GET', '/settings/workspace'));
    } catch (e) {
      showError('ws-error', e);
    }
  }

  async function putWorkspace(body, errorID, button, done) {
    $(button).disabled = true;
    try {
      fillWorkspace(await api('PUT', '/settings/workspace', body));
      showError(errorID, null);
      notice(done, 'ok');
    } catch (ex) {
      showError(errorID, ex);
    } finally {
      $(button).disabled = false;
    }
  }

  $('ws-form').addEventListener('submit', (e) => {
    e.preventDefault();
    putWorkspace({ name: $('ws-name').value, assistant_name: $('ws-assistant').value }, 'ws-error', 'ws-save', 'Names saved.');
  });

  $('origins-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const list = $('ws-origins').value.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
    putWorkspace({ allowed_origins: list }, 'origins-error', 'origins-save', 'Allowed origins saved.');
  });

  $('secret-rotate').addEventListener('click', () => {
    $('secret-confirm').hidden = false;
    $('secret-rotate').hidden = true;
    $('secret-no').focus();
  });
  $('secret-no').addEventListener('click', () => {
    $('secret-confirm').hidden = true;
    $('secret-rotate').hidden = false;
    $('secret-rotate').focus();
  });
  $('secret-yes').addEventListener('click', async () => {
    $('secret-yes').disabled = true;
    try {
      const r = await api('POST', '/settings/identity-secret/rotate');
      fillWorkspace(r.settings);
      $('secret-value').value = r.identity_secret;
      $('secret-new').hidden = false;
      $('secret-confirm').hidden = true;
      $('secret-rotate').hidden = false;
      $('secret-value').select();
      notice('A new identity secret is in force. Copy it to your servers now.', 'ok');
    } catch (ex) {
      notice("Couldn't rotate the secret: " + ex.message, 'error');
    } finally {
      $('secret-yes').disabled = false;
    }
  });
  $('secret-copy').addEventListener('click', async () => {
    const v = $('secret-value').value;
    try {
      await navigator.clipboard.writeText(v);
      notice('Copied.', 'ok');
    } catch (e) {
      $('secret-value').select();
      notice('Press Ctrl+C (⌘C) to copy the selected secret.');
    }
  });

  // ---- webhooks -------------------------------------------------------------------------------

  // Endpoints go through /api/v1/webhooks (list, create, PATCH, DELETE, rotate-secret) and each
  // one's delivery log through /api/v1/webhooks/{id}/deliveries (newest first, paged with
  // ?before=<id>) and …/deliveries/{id}/retry; …/test sends a webhook.test event (also to a
  // disabled endpoint, whatever it subscribed to) and opens the log to show how it went. A signing secret is in the answer to a creation or
  // a rotation only: it is shown then, while the view stays open, and never again.

  // The documented event types, in the order of docs/api.md (a Go test keeps this list equal to
  // webhooks.Types).
  const HOOK_TYPES = [
    ['conversation.created', 'a conversation starts'],
    ['message.created', 'a message is added'],
    ['conversation.handed_off', 'queued for people'],
    ['conversation.assigned', 'a person takes it'],
    ['conversation.resolved', 'resolved'],
    ['conversation.reopened', 'reopened by the customer'],
    ['csat.submitted', 'the customer rated it'],
  ];
  const HOOK_STAFF_TYPES = [
    ['offer.created', 'offered to an agent'],
    ['offer.accepted', 'an agent accepted'],
    ['offer.declined', 'an agent declined'],
    ['offer.expired', 'an offer ran out'],
    ['offer.rescinded', 'an offer was withdrawn'],
    ['agent.status_changed', 'available, away, offline'],
    ['conversation.tagged', 'tags changed'],
    ['conversation.transferred', 'handed to a colleague or the queue'],
  ];
  const LOG_PAGE = 20;

  let hooks = []; // the endpoints, as listed (no secrets)
  const lastDelivery = new Map(); // endpoint id → its newest delivery, or null for none yet
  let hookEditing = null; // the endpoint in the form ({} for a new one), or null
  let hookOpener = null; // data-key of the control that opened the form, for focus on close
  let logHook = null; // the endpoint whose delivery log is open
  let deliveries = []; // its deliveries on show, newest first
  let moreDeliveries = false; // an older page may exist
  const openAttempts = new Set(); // delivery ids whose attempts are expanded
  let secretFor = 0; // the endpoint whose new secret is on show

  const hookLabel = (w) => w.description || w.url;
  const typeInputs = () => [...document.querySelectorAll('#hook-form input[name="hook-type"]')];

  // when formats a time from the API: the time of day for today, else the date and time.
  function when(iso) {
    const t = Date.parse(iso || '');
    if (isNaN(t)) return '';
    const d = new Date(t);
    if (d.toDateString() === new Date(now()).toDateString()) return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
    return d.toLocaleString([], { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  }
  const timeEl = (iso) => h('time', { datetime: iso, title: iso }, when(iso));

  // focusKey focuses the control with data-key=key, when there is one.
  function focusKey(key) {
    const el = key && document.querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (el) el.focus();
    return !!el;
  }

  // rerender runs render, and gives the focus back to the control that had it when render
  // replaced it with a new one of the same data-key.
  function rerender(render) {
    const a = document.activeElement;
    const key = a && a.getAttribute ? a.getAttribute('data-key') : null;
    render();
    if (key && !a.isConnected) focusKey(key);
  }

  function typeCheck([type, what]) {
    return h('label', { class: 'check' },
      h('input', { type: 'checkbox', name: 'hook-type', value: type }),
      h('span', {}, h('code', {}, type), ' ', h('span', { class: 'muted' }, what)));
  }
  $('hook-types-conv').replaceChildren(...HOOK_TYPES.map(typeCheck));
  $('hook-types-staff').replaceChildren(...HOOK_STAFF_TYPES.map(typeCheck));

  // With "All events" on, every type is ticked and locked; off, the ticks are the admin's.
  function syncTypeChecks() {
    const all = $('hook-all').checked;
    for (const c of typeInputs()) {
      if (all) c.checked = true;
      c.disabled = all;
    }
  }
  $('hook-all').addEventListener('change', syncTypeChecks);

  async function loadWebhooks() {
    let list;
    try {
      const r = await api('GET', '/webhooks');
      list = (r && r.webhooks) || [];
    } catch (e) {
      if (e.status === 401) return;
      $('hook-missing').textContent = e.missing ? 'Webhooks are not available on this server.' : "Couldn't load the webhooks: " + e.message;
      $('hook-missing').hidden = false;
      $('hook-table').hidden = true;
      $('hook-add').disabled = e.missing;
      return;
    }
    hooks = list;
    $('hook-missing').hidden = true;
    $('hook-table').hidden = false;
    $('hook-add').disabled = false;
    if (logHook && !hooks.some((w) => w.id === logHook.id)) closeDeliveries();
    rerender(renderHooks);
    await loadLastDeliveries();
  }

  // loadLastDeliveries reads each endpoint's newest delivery: one small request per endpoint
  // (a workspace has a handful).
  async function loadLastDeliveries() {
    await Promise.all(hooks.map(async (w) => {
      try {
        const r = await api('GET', `/webhooks/${w.id}/deliveries?limit=1`);
        lastDelivery.set(w.id, ((r && r.deliveries) || [])[0] || null);
      } catch (e) {
        lastDelivery.delete(w.id);
      }
    }));
    rerender(renderHooks);
    schedulePoll();
  }

  // deliveryState is a delivery's pill: its class and words.
  function deliveryState(d) {
    if (d.status === 'delivered') return ['ok', 'Delivered'];
    if (d.status === 'failed') return ['bad', 'Failed'];
    return d.attempts ? ['warn', 'Retrying'] : ['wait', 'Pending'];
  }

  function statePill(d) {
    const [cls, text] = deliveryState(d);
    return h('span', { class: 'pill ' + cls }, text);
  }

  function lastResult(d) {
    const parts = [];
    if (d.last_status) parts.push('HTTP ' + d.last_status);
    if (d.last_error && d.last_error !== 'status ' + d.last_status) parts.push(d.last_error);
    return parts.join(' · ');
  }

  function lastCell(w) {
    if (!lastDelivery.has(w.id)) return h('span', { class: 'none' }, '…');
    const d = lastDelivery.get(w.id);
    if (!d) return h('span', { class: 'none' }, 'None yet');
    return h('span', { class: 'last-delivery' }, statePill(d),
      h('span', { class: 'sub' }, d.event_type, ' · ', timeEl(d.delivered_at || d.last_attempt_at || d.created_at)));
  }

  function typeTags(types) {
    if (types.includes('*')) return h('span', { class: 'tag all' }, 'All events');
    const shown = types.slice(0, 3).map((t) => h('span', { class: 'tag' }, t));
    if (types.length > 3) shown.push(h('span', { class: 'tag more', title: types.slice(3).join(', ') }, `+${types.length - 3} more`));
    return h('span', {}, ...shown);
  }

  function renderHooks() {
    $('hook-empty').hidden = hooks.length > 0;
    $('hook-rows').replaceChildren(...hooks.map((w) => {
      const label = hookLabel(w);
      const btn = (key, text, onclick, cls) => h('button', { type: 'button', class: (cls || 'ghost') + ' small', 'data-key': `${key}-${w.id}`, 'aria-label': `${text}: ${label}`, onclick }, text);
      const selected = (hookEditing && hookEditing.id === w.id) || (logHook && logHook.id === w.id);
      return h('tr', { class: selected ? 'editing' : '', 'data-hook': w.id },
        h('td', { class: 'hook-endpoint' },
          h('span', { class: 'hook-url' }, w.url),
          w.description ? h('span', { class: 'hook-desc' }, w.description) : null,
          w.previous_secret_expires_at ? h('span', { class: 'hook-note' }, 'The old secret also signs until ', timeEl(w.previous_secret_expires_at)) : null),
        h('td', {}, typeTags(w.event_types || [])),
        h('td', {}, w.staff_events ? 'Included' : h('span', { class: 'none' }, 'No')),
        h('td', {}, h('span', { class: 'pill ' + (w.enabled ? 'available' : 'off') }, w.enabled ? 'Enabled' : 'Disabled'),
          // Tandem disabled it after every delivery failed for days: say why.
          w.disabled_reason ? h('span', { class: 'hook-note', 'data-key': `disabled-${w.id}` }, w.disabled_reason) : null),
        h('td', {}, lastCell(w)),
        h('td', {}, h('div', { class: 'hook-actions' },
          btn('log', 'Deliveries', () => openDeliveries(w), 'secondary'),
          btn('test', 'Send test event', (ev) => sendTest(w, ev.currentTarget)),
          btn('edit', 'Edit', () => openHookForm(w, `edit-${w.id}`)),
          btn('rotate', 'Rotate secret', () => confirmHook('rotate', w)),
          btn('delete', 'Delete', () => confirmHook('delete', w)))));
    }));
  }

  // ---- webhooks: the form ----

  const HOOK_FIELDS = {
    url: ['hook-url', 'hook-url-error'],
    description: ['hook-description', 'hook-description-error'],
    event_types: ['hook-all', 'hook-types-error'],
  };

  function clearHookErrors() {
    showError('hook-error', null);
    for (const [input, box] of Object.values(HOOK_FIELDS)) {
      $(box).hidden = true;
      $(box).textContent = '';
      $(input).removeAttribute('aria-invalid');
    }
  }

  // showHookError puts a validation error ("url: …") under its field, anything else under the form.
  function showHookError(err) {
    clearHookErrors();
    const m = /^([a-z_]+): ([\s\S]+)$/.exec((err && err.message) || '');
    const f = err && err.status === 400 && m && HOOK_FIELDS[m[1]];
    if (!f) {
      showError('hook-error', err);
      return;
    }
    const [input, box] = f;
    $(box).textContent = m[2].charAt(0).toUpperCase() + m[2].slice(1);
    $(box).hidden = false;
    $(input).setAttribute('aria-invalid', 'true');
    $(input).focus();
  }

  function openHookForm(w, openerKey) {
    hookEditing = w || {};
    hookOpener = openerKey;
    $('hook-form-h').textContent = w ? 'Edit endpoint' : 'New endpoint';
    $('hook-save').textContent = w ? 'Save changes' : 'Create endpoint';
    $('hook-url').value = w ? w.url : '';
    $('hook-description').value = w ? w.description || '' : '';
    const types = w ? w.event_types || [] : ['*'];
    $('hook-all').checked = types.includes('*');
    for (const c of typeInputs()) c.checked = types.includes(c.value);
    syncTypeChecks();
    $('hook-staff').checked = w ? !!w.staff_events : false;
    $('hook-enabled').checked = w ? !!w.enabled : true;
    clearHookErrors();
    $('hook-form').hidden = false;
    renderHooks();
    $('hook-form').scrollIntoView({ block: 'nearest' });
    $('hook-url').focus();
  }

  function closeHookForm() {
    hookEditing = null;
    $('hook-form').hidden = true;
    renderHooks();
    if (!focusKey(hookOpener)) $('hook-add').focus();
    hookOpener = null;
  }

  // A field's error goes as soon as the admin changes the field.
  for (const [input, box] of Object.values(HOOK_FIELDS)) {
    const clear = () => {
      $(box).hidden = true;
      $(input).removeAttribute('aria-invalid');
    };
    if (input === 'hook-all') $('hook-form').querySelector('fieldset').addEventListener('change', clear);
    else $(input).addEventListener('input', clear);
  }

  $('hook-add').addEventListener('click', () => openHookForm(null, 'add'));
  $('hook-add').setAttribute('data-key', 'add');
  $('hook-cancel').addEventListener('click', closeHookForm);
  $('hook-form').addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      closeHookForm();
    }
  });

  $('hook-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const editing = hookEditing;
    if (!editing) return;
    const body = {
      url: $('hook-url').value.trim(),
      description: $('hook-description').value,
      event_types: $('hook-all').checked ? ['*'] : typeInputs().filter((c) => c.checked).map((c) => c.value),
      staff_events: $('hook-staff').checked,
      enabled: $('hook-enabled').checked,
    };
    if (!body.url) {
      showHookError({ status: 400, message: 'url: enter the address your endpoint listens on.' });
      return;
    }
    $('hook-save').disabled = true;
    try {
      if (editing.id) {
        const w = await api('PATCH', `/webhooks/${editing.id}`, body);
        hooks = hooks.map((x) => (x.id === w.id ? w : x));
        if (logHook && logHook.id === w.id) logHook = w;
        notice(`Saved ${w.url}.`, 'ok');
        closeHookForm();
      } else {
        const w = await api('POST', '/webhooks', body);
        const { secret, ...listed } = w;
        hooks.push(listed);
        lastDelivery.set(w.id, null);
        hookEditing = null;
        hookOpener = null;
        $('hook-form').hidden = true;
        renderHooks();
        showSecret(w, 'created');
        notice('Endpoint created. It receives the events that happen from now on.', 'ok');
      }
    } catch (ex) {
      if (ex.status === 404 && !ex.missing) {
        showError('hook-error', new Error('This endpoint no longer exists: someone deleted it.'));
        loadWebhooks();
      } else {
        showHookError(ex.missing ? new Error('This server cannot manage webhooks.') : ex);
      }
    } finally {
      $('hook-save').disabled = false;
    }
  });

  // ---- webhooks: the signing secret ----

  function showSecret(w, why) {
    secretFor = w.id;
    $('hook-secret-h').textContent = why === 'created'
      ? 'Signing secret — copy it now, it is not shown again'
      : 'New signing secret — copy it now, it is not shown again';
    $('hook-secret-for').textContent = why === 'created'
      ? `For ${w.url}.`
      : `For ${w.url}. The old secret keeps signing too until ${when(w.previous_secret_expires_at)} (24 hours): meanwhile every ` +
        'request carries both signatures, so your receiver can switch to the new secret without missing a delivery.';
    $('hook-secret-value').value = w.secret || '';
    $('hook-secret').hidden = false;
    $('hook-secret').scrollIntoView({ block: 'nearest' });
    $('hook-secret-value').focus();
    $('hook-secret-value').select();
  }

  function hideSecret() {
    secretFor = 0;
    $('hook-secret').hidden = true;
    $('hook-secret-value').value = '';
  }

  $('hook-secret-copy').addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText($('hook-secret-value').value);
      notice('Copied the signing secret.', 'ok');
    } catch (e) {
      $('hook-secret-value').focus();
      $('hook-secret-value').select();
      notice('Press Ctrl+C (⌘C) to copy the selected secret.');
    }
  });
  $('hook-secret-hide').addEventListener('click', () => {
    const id = secretFor;
    hideSecret();
    if (!focusKey(`log-${id}`)) $('hook-add').focus();
  });

  // ---- webhooks: rotate and delete, confirmed in a dialog ----

  let dialogAction = null; // {kind, w} while the dialog asks

  function confirmHook(kind, w) {
    dialogAction = { kind, w };
    const del = kind === 'delete';
    $('hook-dialog-h').textContent = del ? 'Delete this endpoint?' : 'Rotate the signing secret?';
    $('hook-dialog-url').textContent = w.description ? `${w.description} — ${w.url}` : w.url;
    $('hook-dialog-text').textContent = del
      ? 'Nothing more is sent to it, and its delivery log is deleted with it. This cannot be undone.'
      : 'A new secret signs every delivery from now on. The old one keeps signing too for 24 hours — each request ' +
        'carries both signatures meanwhile — so your receiver can switch over without missing a delivery. After that, ' +
        'only the new secret verifies.';
    $('hook-dialog-yes').textContent = del ? 'Delete endpoint' : 'Rotate secret';
    $('hook-dialog-yes').className = del ? 'danger' : 'primary';
    showError('hook-dialog-error', null);
    $('hook-dialog').showModal();
    $('hook-dialog-cancel').focus();
  }

  $('hook-dialog-cancel').addEventListener('click', () => $('hook-dialog').close());
  // Closed without doing it (Cancel or Escape): the focus goes back where it was. The close
  // event comes a task after the dialog closed; when the dialog is open again by then (asked
  // again at once, or under load), the event is old news: the question now open stands.
  $('hook-dialog').addEventListener('close', () => {
    if (!dialogAction || $('hook-dialog').open) return;
    const { kind, w } = dialogAction;
    dialogAction = null;
    focusKey(`${kind}-${w.id}`);
  });

  $('hook-dialog').querySelector('form').addEventListener('submit', async (e) => {
    e.preventDefault(); // the dialog stays open until the server has answered
    const act = dialogAction;
    if (!act) return;
    const { kind, w } = act;
    $('hook-dialog-yes').disabled = true;
    try {
      if (kind === 'delete') {
        await api('DELETE', `/webhooks/${w.id}`);
        dialogAction = null;
        $('hook-dialog').close();
        hooks = hooks.filter((x) => x.id !== w.id);
        lastDelivery.delete(w.id);
        if (logHook && logHook.id === w.id) closeDeliveries();
        if (hookEditing && hookEditing.id === w.id) {
          hookEditing = null;
          $('hook-form').hidden = true;
        }
        if (secretFor === w.id) hideSecret();
        renderHooks();
        notice(`Deleted the endpoint ${w.url}.`, 'ok');
        $('hook-add').focus();
      } else {
        const r = await api('POST', `/webhooks/${w.id}/rotate-secret`);
        dialogAction = null;
        $('hook-dialog').close();
        const { secret, ...listed } = r;
        hooks = hooks.map((x) => (x.id === r.id ? listed : x));
        renderHooks();
        showSecret(r, 'rotated');
        notice('A new signing secret is in force; the old one keeps signing for 24 hours.', 'ok');
      }
    } catch (ex) {
      if (ex.status === 404 && !ex.missing) {
        dialogAction = null;
        $('hook-dialog').close();
        notice('That endpoint no longer exists: someone deleted it.', 'error');
        loadWebhooks();
      } else {
        showError('hook-dialog-error', ex);
      }
    } finally {
      $('hook-dialog-yes').disabled = false;
    }
  });

  // ---- webhooks: a test event ----

  // sendTest asks for a webhook.test delivery to w, then shows it in w's delivery log (opened, or
  // refreshed if open), which follows it until it is delivered or given up.
  async function sendTest(w, button) {
    if (button) button.disabled = true;
    try {
      const d = await api('POST', `/webhooks/${w.id}/test`);
      lastDelivery.set(w.id, d);
      notice(`Sending a test event to ${w.url}; its result shows in the delivery log.`, 'ok');
      if (logHook && logHook.id === w.id) loadDeliveries('merge');
      else openDeliveries(w);
      schedulePoll(1000);
    } catch (ex) {
      if (ex.status === 404 && !ex.missing) {
        notice('That endpoint no longer exists: someone deleted it.', 'error');
        loadWebhooks();
      } else {
        notice("Couldn't send a test event: " + ex.message, 'error');
      }
    } finally {
      if (button) button.disabled = false;
    }
  }

  // ---- webhooks: the delivery log ----

  function openDeliveries(w) {
    logHook = w;
    deliveries = [];
    moreDeliveries = false;
    openAttempts.clear();
    $('deliveries-h').textContent = 'Deliveries';
    $('deliveries-for').textContent = w.description ? `${w.description} — ${w.url}` : w.url;
    $('delivery-rows').replaceChildren();
    $('deliveries-empty').hidden = true;
    $('deliveries-more').hidden = true;
    showError('deliveries-error', null);
    $('deliveries').hidden = false;
    renderHooks();
    $('deliveries').scrollIntoView({ block: 'start' });
    $('deliveries-h').focus();
    loadDeliveries('first');
  }

  function closeDeliveries() {
    const id = logHook && logHook.id;
    logHook = null;
    deliveries = [];
    $('deliveries').hidden = true;
    clearTimeout(hookPollTimer);
    renderHooks();
    return id;
  }

  $('deliveries-close').addEventListener('click', () => {
    const id = closeDeliveries();
    if (!focusKey(`log-${id}`)) $('hook-add').focus();
  });
  $('deliveries-refresh').addEventListener('click', () => loadDeliveries('merge'));
  $('deliveries-more').addEventListener('click', () => loadDeliveries('more'));

  // loadDeliveries reads a page of the open log: 'first' replaces it, 'more' adds the page older
  // than the last shown, 'merge' refreshes the newest page and keeps the older ones shown.
  async function loadDeliveries(mode) {
    const w = logHook;
    if (!w) return;
    const before = mode === 'more' && deliveries.length ? deliveries[deliveries.length - 1].id : 0;
    let list;
    try {
      const r = await api('GET', `/webhooks/${w.id}/deliveries?limit=${LOG_PAGE}` + (before ? `&before=${before}` : ''));
      list = (r && r.deliveries) || [];
    } catch (e) {
      if (logHook === w && e.status !== 401) showError('deliveries-error', e.status === 404 && !e.missing ? new Error('This endpoint no longer exists.') : e);
      return;
    }
    if (logHook !== w) return;
    showError('deliveries-error', null);
    if (mode === 'more') {
      const seen = new Set(deliveries.map((d) => d.id));
      deliveries = deliveries.concat(list.filter((d) => !seen.has(d.id)));
      moreDeliveries = list.length === LOG_PAGE;
    } else if (mode === 'merge' && deliveries.length) {
      const top = deliveries[0].id;
      const newer = list.filter((d) => d.id > top);
      if (newer.length === LOG_PAGE) {
        deliveries = list; // too many new ones to join up: start again from the newest
        moreDeliveries = true;
      } else {
        const byID = new Map(list.map((d) => [d.id, d]));
        deliveries = newer.concat(deliveries.map((d) => byID.get(d.id) || d));
      }
    } else {
      deliveries = list;
      moreDeliveries = list.length === LOG_PAGE;
    }
    if (deliveries.length) lastDelivery.set(w.id, deliveries[0]);
    rerender(renderHooks);
    rerender(renderDeliveries);
    schedulePoll();
  }

  function retryable(d) {
    return d.status === 'failed' || (d.status === 'pending' && d.attempts > 0);
  }

  async function retryDelivery(d) {
    const w = logHook;
    if (!w) return;
    try {
      await api('POST', `/webhooks/${w.id}/deliveries/${d.id}/retry`);
      notice(`Sending ${d.event_type} #${d.id} again now.`, 'ok');
      d.status = 'pending';
      d.next_attempt_at = new Date(now()).toISOString();
      rerender(renderDeliveries);
      focusKey(`toggle-${d.id}`);
      schedulePoll(1000);
    } catch (ex) {
      notice(ex.status === 404 && !ex.missing ? 'That delivery was already delivered, or is gone.' : "Couldn't retry: " + ex.message, 'error');
      loadDeliveries('merge');
    }
  }

  function attemptsDetail(d) {
    const items = (d.log || []).map((a) => h('li', {},
      h('div', { class: 'attempt-head' },
        h('strong', {}, `Attempt ${a.attempt}`), ' ', timeEl(a.at), ' · ',
        a.status_code ? `HTTP ${a.status_code}` : 'no answer', ` · ${a.duration_ms} ms`,
        a.error && a.error !== 'status ' + a.status_code ? h('span', { class: 'attempt-error' }, ' · ', a.error) : null),
      a.response ? h('pre', { class: 'response', 'aria-label': `Start of the answer to attempt ${a.attempt}` }, a.response) : null));
    return h('div', { class: 'attempts' },
      h('p', { class: 'muted' }, 'webhook-id ', h('code', {}, d.msg_id), d.test ? ' · a test event' : ` · event #${d.event_seq}`),
      items.length ? h('ol', { class: 'attempt-list' }, ...items) : h('p', { class: 'none' }, 'Not tried yet.'),
      h('details', { class: 'payload' }, h('summary', {}, 'Payload'), h('pre', {}, JSON.stringify(d.payload, null, 2))));
  }

  function renderDeliveries() {
    $('deliveries-empty').hidden = deliveries.length > 0;
    $('deliveries-more').hidden = !moreDeliveries;
    const rows = [];
    for (const d of deliveries) {
      const open = openAttempts.has(d.id);
      const detailID = `delivery-${d.id}-attempts`;
      const toggle = h('button', {
        type: 'button', class: 'ghost small', 'data-key': `toggle-${d.id}`, 'aria-expanded': String(open), 'aria-controls': detailID,
        'aria-label': `Attempts: ${d.event_type} #${d.id}`,
        onclick: () => {
          if (openAttempts.has(d.id)) openAttempts.delete(d.id);
          else openAttempts.add(d.id);
          rerender(renderDeliveries);
        },
      }, open ? 'Hide attempts' : 'Attempts');
      const retry = retryable(d)
        ? h('button', { type: 'button', class: 'secondary small', 'data-key': `retry-${d.id}`, 'aria-label': `Retry now: ${d.event_type} #${d.id}`, onclick: () => retryDelivery(d) }, 'Retry now')
        : null;
      let next = h('span', { class: 'none' }, '—');
      if (d.delivered_at) next = timeEl(d.delivered_at);
      else if (d.status === 'pending' && d.next_attempt_at) next = h('span', {}, 'next ', timeEl(d.next_attempt_at));
      else if (d.status === 'failed') next = h('span', { class: 'none' }, 'gave up');
      const result = lastResult(d);
      rows.push(h('tr', { 'data-delivery': d.id, class: 'delivery ' + deliveryState(d)[0] },
        h('td', {}, h('code', {}, d.event_type), d.test ? h('span', { class: 'tag' }, 'Test') : null),
        h('td', {}, statePill(d)),
        h('td', { class: 'num' }, String(d.attempts)),
        h('td', { class: 'result' }, result || h('span', { class: 'none' }, '—')),
        h('td', {}, timeEl(d.created_at)),
        h('td', {}, next),
        h('td', { class: 'row-actions' }, retry, toggle)));
      const detail = h('tr', { id: detailID, class: 'attempts-row', hidden: !open }, h('td', { colspan: 7 }, open ? attemptsDetail(d) : null));
      rows.push(detail);
    }
    $('delivery-rows').replaceChildren(...rows);
  }

  // The log follows what happens: soon after the workspace's events (each may make a delivery),
  // and every few seconds while one shown is still on its way.
  let hookPollTimer = null;
  let hookEventTimer = null;
  function hooksShown() {
    return !!token && !$('app').hidden && !$('view-webhooks').hidden && !document.hidden;
  }
  // schedulePoll looks again shortly after the next attempt of a delivery on its way is due
  // (between 2 and 30 s from now), or after ms.
  function schedulePoll(ms) {
    clearTimeout(hookPollTimer);
    const pending = deliveries.concat([...lastDelivery.values()]).filter((d) => d && d.status === 'pending');
    if (!pending.length && !ms) return;
    const due = Math.min(...pending.map((d) => Date.parse(d.next_attempt_at || '') || 0));
    const wait = ms || Math.max(2000, Math.min(30000, (isFinite(due) ? due - now() : 0) + 1000));
    hookPollTimer = setTimeout(refreshHooksLive, wait);
  }
  function refreshHooksLive() {
    if (!hooksShown()) return;
    if (logHook) loadDeliveries('merge');
    else loadLastDeliveries();
  }
  function hookEvent() {
    if (!hooksShown() || hookEventTimer) return;
    hookEventTimer = setTimeout(() => {
      hookEventTimer = null;
      if (!hooksShown()) return;
      if (logHook) loadDeliveries('merge');
      loadLastDeliveries();
    }, 1200);
  }

  document.addEventListener('visibilitychange', () => {
    if (hooksShown()) refreshHooksLive();
  });

  function resetWebhooks() {
    hooks = [];
    lastDelivery.clear();
    hookEditing = null;
    logHook = null;
    deliveries = [];
    clearTimeout(hookPollTimer);
    $('hook-form').hidden = true;
    $('deliveries').hidden = true;
    $('hook-rows').replaceChildren();
    hideSecret();
    if ($('hook-dialog').open) {
      dialogAction = null;
      $('hook-dialog').close();
    }
  }

  // ---- conversations: search and transcripts ---------------------------------------------------

  let csCursor = '';
  let csQuery = '';

  function loadConversations() {
    searchConversations(false);
  }

  function searchQuery() {
    const p = new URLSearchParams();
    const put = (k, id) => {
      const v = $(id).value.trim();
      if (v) p.set(k, v);
    };
    put('q', 'cs-q');
    put('status', 'cs-status');
    put('csat_max', 'cs-csat');
    put('from', 'cs-from');
    put('to', 'cs-to');
    put('intent', 'cs-intent');
    put('language', 'cs-language');
    put('tag', 'cs-tag');
    return p;
  }

  async function searchConversations(more) {
    if (!more) {
      csQuery = searchQuery().toString();
      csCursor = '';
    }
    const p = new URLSearchParams(csQuery);
    if (more && csCursor) p.set('cursor', csCursor);
    $('cs-error').hidden = true;
    try {
      const r = await api('GET', '/conversations?' + p.toString());
      const rows = (r.conversations || []).map(conversationRow);
      if (more) $('cs-rows').append(...rows);
      else $('cs-rows').replaceChildren(...rows);
      csCursor = r.next_cursor || '';
      $('cs-more').hidden = !csCursor;
      $('cs-empty').hidden = $('cs-rows').children.length > 0;
    } catch (e) {
      showError('cs-error', e);
    }
  }

  function conversationRow(c) {
    const tr = h('tr', { 'data-id': c.id, tabindex: 0, onclick: () => (location.hash = 'conversations/' + c.id) },
      h('td', null, String(c.id)),
      h('td', null, c.customer_name || 'Customer ' + c.customer_id),
      h('td', null, h('span', { class: 'pill' }, c.status)),
      h('td', null, (c.triage && c.triage.intent) || '–'),
      h('td', null, (c.triage && c.triage.language) || '–'),
      h('td', null, c.assignee_name || '–'),
      h('td', null, c.csat ? String(c.csat.score) : '–'),
      h('td', null, new Date(c.created_at).toLocaleString()));
    tr.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') location.hash = 'conversations/' + c.id;
    });
    return tr;
  }

  async function openTranscript(id) {
    if (!/^\d+$/.test(id)) return;
    for (const tr of $('cs-rows').children) tr.setAttribute('aria-selected', tr.dataset.id === id ? 'true' : 'false');
    try {
      const [c, msgs, evs] = await Promise.all([
        api('GET', `/conversations/${id}`),
        api('GET', `/conversations/${id}/messages?limit=1000`),
        api('GET', `/conversations/${id}/events`),
      ]);
      $('tr-h').textContent = `Transcript · conversation ${c.id}`;
      const bits = [c.customer_name || 'Customer ' + c.customer_id, c.status];
      if (c.triage && c.triage.intent) bits.push(c.triage.intent);
      if (c.triage && c.triage.language) bits.push(c.triage.language);
      if (c.assignee_name) bits.push('with ' + c.assignee_name);
      if (c.tags && c.tags.length) bits.push('tags: ' + c.tags.join(', '));
      $('tr-meta').textContent = bits.join(' · ');
      $('tr-messages').replaceChildren(...(msgs.messages || []).map((m) =>
        h('li', { class: m.author_kind + (m.internal ? ' internal' : '') },
          h('span', { class: 'who' }, `${m.author_name || m.author_kind}${m.internal ? ' (internal note)' : ''} · ${hhmm(m.created_at)}`),
          h('span', { class: 'body' }, m.body))));
      const p = c.handoff;
      const packet = [];
      if (p) {
        const row = (k, v) => v && packet.push(h('dt', null, k), h('dd', null, v));
        row('Reason', p.reason);
        row('Summary', p.summary);
        row('Intent', p.intent);
        row('Language', p.language);
        row('Sensitive', p.sensitive);
        row('Customer wants', (p.customer_wants || []).join(' / '));
        row('Draft reply', p.draft_reply);
      }
      $('tr-packet').replaceChildren(...(packet.length ? packet : [h('dd', { class: 'muted' }, 'Never handed over.')]));
      $('tr-rating').textContent = c.csat ? `${c.csat.score} / 5${c.csat.comment ? ' — “' + c.csat.comment + '”' : ''}` : 'Not rated.';
      $('tr-events').replaceChildren(...(evs.events || []).map((e) =>
        h('li', null, h('time', { datetime: e.at }, new Date(e.at).toLocaleString()), h('span', null, e.type))));
      $('transcript').hidden = false;
    } catch (e) {
      notice("Couldn't open the conversation: " + e.message, 'error');
    }
  }

  $('conv-search').addEventListener('submit', (e) => {
    e.preventDefault();
    searchConversations(false);
  });
  $('cs-more').addEventListener('click', () => searchConversations(true));
  $('tr-close').addEventListener('click', () => {
    $('transcript').hidden = true;
    location.hash = 'conversations';
  });

  // ---- reports over any period -----------------------------------------------------------------

  function isoDay(d) {
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  }

  function loadReports() {
    if (!$('rp-to').value) {
      const today = new Date(now());
      $('rp-to').value = isoDay(today);
      $('rp-from').value = isoDay(new Date(today.getFullYear(), today.getMonth(), today.getDate() - 29));
      $('rp-tz').value = tz || 'UTC';
    }
    showReport();
  }

  function reportQuery() {
    const p = new URLSearchParams({ from: $('rp-from').value, to: $('rp-to').value, by: $('rp-by').value });
    if ($('rp-tz').value.trim()) p.set('tz', $('rp-tz').value.trim());
    return p;
  }

  const secs = (v) => (v == null ? '–' : v < 60 ? Math.round(v) + ' s' : duration(v));
  const money = (v) => (v == null ? '–' : (v / 100).toFixed(2));

  async function showReport() {
    $('rp-error').hidden = true;
    try {
      const s = await api('GET', '/reports/summary?' + reportQuery().toString());
      renderReport(s);
    } catch (e) {
      showError('rp-error', e);
    }
  }

  function renderReport(s) {
    const kpi = (id, title, value, sub) =>
      h('article', { class: 'card kpi', id }, h('h2', null, title), h('p', { class: 'kpi-value' }, value), h('p', { class: 'kpi-sub' }, sub || ''));
    const csat = (r) => (r.ratings ? `${pct(r.satisfied_rate)}` : '–');
    const ratings = (n) => (n === 1 ? '1 rating' : `${n} ratings`);
    $('rp-kpis').replaceChildren(
      kpi('rp-conversations', 'Conversations', String(s.conversations), `${s.assistant_answered} answered by the assistant`),
      kpi('rp-ai', 'AI resolution', pct(s.ai_resolution_rate), `${s.ai_resolved} of ${s.assistant_answered}`),
      kpi('rp-containment', 'Containment', pct(s.containment_rate), `handoff ${pct(s.handoff_rate)}`),
      kpi('rp-repeat', 'Repeat contact', pct(s.repeat_contact_rate), `first-contact resolution ${pct(s.first_contact_resolution_rate)} · ${s.repeat_days} days`),
      kpi('rp-csat-ai', 'CSAT assistant', csat(s.csat.assistant), ratings(s.csat.assistant.ratings)),
      kpi('rp-csat-people', 'CSAT people', csat(s.csat.people), ratings(s.csat.people.ratings)),
      kpi('rp-handling', 'Handling (median)', secs(s.handling_seconds.median), `p90 ${secs(s.handling_seconds.p90)}`),
      kpi('rp-cost', 'Cost per resolution', money(s.cost_per_resolution.all),
        `AI only ${money(s.cost_per_resolution.ai_only)} · people ${money(s.cost_per_resolution.human_only)} · both ${money(s.cost_per_resolution.hybrid)}`));
    const fr = s.first_response_seconds;
    const time = (label, d) => h('tr', null, h('td', { class: 'row-h' }, label), h('td', null, secs(d.median)), h('td', null, secs(d.p90)), h('td', null, String(d.count)));
    $('rp-times').replaceChildren(
      time('First response, assistant', fr.assistant),
      time('First response, person', fr.person),
      time('Resolution', s.resolution_seconds),
      time('Handling', s.handling_seconds));
    const reasons = Object.entries(s.handoff_reasons || {}).sort((a, b) => b[1] - a[1]);
    $('rp-reasons').replaceChildren(...(reasons.length ? reasons.map(([k, n]) => h('li', { class: 'pill' }, `${k.replace(/_/g, ' ')} · ${n}`)) : [h('li', { class: 'muted' }, 'No handoffs.')]));
    $('rp-group-h').textContent = { day: 'Day', week: 'Week', agent: 'Agent', intent: 'Intent', language: 'Language', channel: 'Channel' }[s.by] || 'Group';
    $('rp-rows').replaceChildren(...s.groups.map((g) => h('tr', null,
      h('td', { class: 'row-h' }, g.label), h('td', null, String(g.conversations)), h('td', null, pct(g.ai_resolution_rate)),
      h('td', null, pct(g.containment_rate)), h('td', null, pct(g.handoff_rate)), h('td', null, secs(g.handling_seconds.median)),
      h('td', null, pct(g.repeat_contact_rate)), h('td', null, csat(g.csat.assistant)), h('td', null, csat(g.csat.people)),
      h('td', null, money(g.cost_per_resolution.all)))));
    drawGroupChart(s.groups);
  }

  // drawGroupChart draws one bar per group: its conversations, the part
  // the assistant resolved darker.
  function drawGroupChart(groups) {
    const fig = $('rp-chart');
    const W = Math.max(320, Math.round(fig.clientWidth) || 560), rowH = 26, left = 150, right = 40;
    if (!groups.length) {
      fig.replaceChildren(h('p', { class: 'empty' }, 'No conversations in this period.'));
      return;
    }
    const max = Math.max(1, ...groups.map((g) => g.conversations));
    const shown = groups.slice(0, 40);
    const s = svg('svg', { viewBox: `0 0 ${W} ${shown.length * rowH + 4}`, 'aria-hidden': 'true' });
    shown.forEach((g, i) => {
      const y = i * rowH + 2;
      const w = ((W - left - right) * g.conversations) / max;
      const ai = ((W - left - right) * (g.ai_resolved || 0)) / max;
      s.append(
        svg('text', { x: left - 8, y: y + 15, 'text-anchor': 'end', class: 'label' }, g.label.length > 20 ? g.label.slice(0, 19) + '…' : g.label),
        svg('rect', { x: left, y: y + 3, width: W - left - right, height: 16, rx: 4, class: 'track' }),
        svg('rect', { x: left, y: y + 3, width: Math.max(w, 1), height: 16, rx: 4, fill: COLORS.ai, 'fill-opacity': 0.35, class: 'bar' }),
        svg('rect', { x: left, y: y + 3, width: ai, height: 16, rx: 4, fill: COLORS.ai, class: 'bar ai' }),
        svg('text', { x: left + w + 6, y: y + 15, class: 'value' }, String(g.conversations)));
    });
    fig.setAttribute('aria-label', 'Conversations per group: ' + shown.map((g) => `${g.label} ${g.conversations}`).join(', '));
    fig.replaceChildren(s);
  }

  $('report-form').addEventListener('submit', (e) => {
    e.preventDefault();
    showReport();
  });
  $('rp-by').addEventListener('change', showReport);
  $('rp-csv').addEventListener('click', async () => {
    // The API needs the Bearer token, so fetch the CSV and save it from memory.
    $('rp-error').hidden = true;
    try {
      const res = await fetch('/api/v1/reports/summary?' + reportQuery().toString(), { headers: { Authorization: 'Bearer ' + token, Accept: 'text/csv' } });
      if (!res.ok) throw new Error((await res.json().catch(() => ({}))).error?.message || res.statusText);
      const url = URL.createObjectURL(await res.blob());
      const m = /filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') || '');
      const a = h('a', { href: url, download: m ? m[1] : 'tandem-report.csv' });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (e) {
      showError('rp-error', e);
    }
  });

  // ---- start ----------------------------------------------------------------------------------

  if (token) {
    api('GET', '/agents/me')
      .then(start)
      .catch((e) => {
        if (e.status === 401) return; // sessionEnded already showed the form
        showLogin("Can't reach the server: " + e.message);
      });
  } else {
    showLogin();
  }
})();
