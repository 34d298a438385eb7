/*
 * Tandem agent console: sign in, set a status, take offers before their countdown ends, and work
 * the conversations assigned to you. Talks to /api/v1 with a Bearer token kept in sessionStorage,
 * and follows the WebSocket stream (resuming from the last seq after a reconnect).
 * User-provided text is only ever inserted with textContent / text nodes.
 */
(() => {
  'use strict';

  // Hand-off reasons arrive as machine-readable codes ("human_request",
  // "sensitive:fraud", …, comma-separated); a reason typed by a person is
  // shown as written.
  const REASONS = {
    human_request: 'Customer asked for a person',
    low_confidence: "The assistant wasn't sure",
    out_of_scope: 'Outside what the assistant handles',
    ambiguous: 'Unclear question',
    still_unclear: 'Still unclear after a question',
    no_article: 'No help article for this',
    repeated_question: "The answer didn't help",
    frustration: 'Customer is frustrated',
    anger: 'Customer is angry',
    vip: 'VIP customer',
    intent_requires_person: 'Topic always goes to a person',
    confident: 'Assistant answered',
    not_helpful: "Customer said the answer didn't help",
    action_failed: "The account lookup failed",
    not_verified: 'Customer is not signed in',
    search_match: 'Matched a help article',
  };
  function reasonLabel(reason) {
    if (!reason) return '';
    if (!/^[a-z_:,]+$/.test(reason)) return reason;
    return reason.split(',').map((code) => {
      if (code.startsWith('sensitive:')) return 'Sensitive: ' + code.slice(10);
      return REASONS[code] || code.replace(/_/g, ' ');
    }).join(' · ');
  }

  const TOKEN_KEY = 'tandem.agent.token';
  const SEQ_KEY = 'tandem.agent.seq';
  const PAGE = 200;

  const $ = (id) => document.getElementById(id);

  // h builds an element; string children become text nodes, never HTML.
  function h(tag, props, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v == null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = v;
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of kids) if (c != null && c !== false) el.append(c);
    return el;
  }

  function uuid() {
    if (window.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const x = Array.from(b, (n) => n.toString(16).padStart(2, '0')).join('');
    return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
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

  // ---- clock: offers count down to the server's expires_at ----------------------------------

  let skew = 0; // server clock minus browser clock, in ms, estimated from the Date header
  const now = () => Date.now() + skew;
  function noteServerDate(res) {
    const d = Date.parse(res.headers.get('Date') || '');
    if (isNaN(d)) return;
    const s = d - Date.now();
    // The header has one-second resolution: ignore differences that small.
    skew = Math.abs(s) > 1500 ? s : 0;
  }

  function clockTime(iso) {
    const d = new Date(iso);
    if (isNaN(d)) return '';
    const today = new Date().toDateString() === d.toDateString();
    return today
      ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
      : d.toLocaleDateString([], { month: 'short', day: 'numeric' });
  }

  // ---- HTTP -------------------------------------------------------------------------------

  let token = storageGet(TOKEN_KEY);

  function api(method, path, body) {
    return TandemConsole.request({ token, onUnauthorized: sessionEnded, onResponse: noteServerDate }, method, path, body);
  }


  // ---- notices ----------------------------------------------------------------------------

  // announce says something to screen readers at once (a visually hidden live region).
  function announce(text) {
    const el = $('announce');
    el.textContent = '';
    setTimeout(() => {
      el.textContent = text;
    }, 50);
  }

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

  // ---- login / logout ------------------------------------------------------------------------

  let me = null;

  function showLogin(message) {
    $('app').hidden = true;
    $('login-view').hidden = false;
    const err = $('login-error');
    err.textContent = message || '';
    err.hidden = !message;
    $('login-email').focus();
    document.title = 'Tandem · Agent console';
  }

  function sessionEnded() {
    if (!token) return;
    token = null;
    storageSet(TOKEN_KEY, null);
    storageSet(SEQ_KEY, null);
    teardown();
    showLogin('Your session has ended. Please sign in again.');
  }

  TandemConsole.bindLogin(api, (r) => {
    token = r.token;
    storageSet(TOKEN_KEY, token);
    storageSet(SEQ_KEY, null);
    start(r.agent);
  });

  $('logout').addEventListener('click', async () => {
    try {
      await api('POST', '/auth/logout');
    } catch (e) {
      /* the token is dropped locally either way */
    }
    token = null;
    storageSet(TOKEN_KEY, null);
    storageSet(SEQ_KEY, null);
    teardown();
    showLogin();
  });

  function start(agent) {
    setMe(agent);
    $('login-view').hidden = true;
    $('app').hidden = false;
    loadOffers();
    loadConversations();
    startStream();
  }

  // teardown forgets everything of the signed-in agent.
  function teardown() {
    stopStream();
    me = null;
    offers.clear();
    offersPrimed = false;
    $('offers').replaceChildren();
    convs.clear();
    unread.clear();
    renderOffersMeta();
    renderConversations();
    closeConversation();
    outbox.length = 0;
  }

  // ---- me and my status ------------------------------------------------------------------------

  function setMe(agent) {
    me = agent;
    $('me').textContent = agent.name || agent.email || '';
    $('me').title = agent.email || '';
    for (const r of document.querySelectorAll('input[name="agent-status"]')) r.checked = r.value === agent.status;
    renderOffersMeta();
    loadQueue();
  }

  $('status-switch').addEventListener('change', async (e) => {
    const status = e.target.value;
    const before = me && me.status;
    // Going offline hands the conversations in hand back to the queue: ask first.
    const open = [...convs.values()].filter((c) => c.status === 'assigned').length;
    if (status === 'offline' && open > 0 &&
        !window.confirm(`You have ${open} open conversation${open === 1 ? '' : 's'}. Going offline hands ${open === 1 ? 'it' : 'them'} back to the front of the queue, and the customer${open === 1 ? ' is' : 's are'} told. Go offline?`)) {
      if (me) setMe(me);
      return;
    }
    try {
      setMe(await api('PUT', '/agents/me/status', { status }));
    } catch (ex) {
      if (me) setMe(Object.assign({}, me, { status: before }));
      if (ex.status !== 401) notice("Couldn't change your status: " + ex.message, 'error');
    }
  });

  // ---- offers ---------------------------------------------------------------------------------

  const offers = new Map(); // id → {offer, el, countdown, bar}
  let offersPrimed = false; // the first list after signing in is there: offers after it ring

  async function loadOffers() {
    try {
      const r = await api('GET', '/offers');
      const list = (r && r.offers) || [];
      const ids = new Set(list.map((o) => o.id));
      for (const id of [...offers.keys()]) if (!ids.has(id)) removeOffer(id);
      for (const o of list) addOffer(o);
      offersPrimed = true;
    } catch (e) {
      if (e.status !== 401) notice("Couldn't load offers: " + e.message, 'error');
    }
  }

  function addOffer(o) {
    if (!o || o.status !== 'pending') return;
    const known = offers.get(o.id);
    if (known) {
      if (o.preview && !known.preview.textContent) {
        known.preview.textContent = o.preview;
        known.preview.hidden = false;
      }
      return;
    }
    if (me && o.agent_id != null && o.agent_id !== me.id) return;
    if (Date.parse(o.expires_at) <= now()) return;
    const c = o.conversation || {};
    const preview = h('div', { class: 'preview', hidden: !o.preview }, o.preview || '');
    const countdown = h('span', { class: 'countdown', 'aria-label': 'Time left' });
    const bar = h('span', { class: 'bar' });
    const accept = h('button', { type: 'button', class: 'primary small', title: 'Accept (a: the first offer)', 'aria-keyshortcuts': 'A' }, 'Accept');
    const decline = h('button', { type: 'button', class: 'ghost small', title: 'Decline (d: the first offer)', 'aria-keyshortcuts': 'D' }, 'Decline');
    const el = h(
      'li',
      { class: 'offer' },
      h('div', { class: 'offer-top' }, h('strong', {}, c.customer_name || `Conversation #${o.conversation_id}`), countdown),
      c.handoff_reason ? h('div', { class: 'offer-reason' }, reasonLabel(c.handoff_reason)) : null,
      preview,
      h('div', { class: 'meter' }, bar),
      h('div', { class: 'actions' }, accept, decline),
    );
    const entry = { offer: o, el, countdown, bar, preview, buttons: [accept, decline] };
    if (offersPrimed) {
      // A new offer, from the stream or from a catch-up after a reconnect: ring, and say it.
      alertOffer(o);
      announce(`New offer: ${c.customer_name || 'a customer'}${o.preview ? ' — ' + o.preview : ''}. Press A to accept.`);
    }
    accept.addEventListener('click', () => respond(entry, 'accept'));
    decline.addEventListener('click', () => respond(entry, 'decline'));
    offers.set(o.id, entry);
    // Soonest deadline first.
    const list = $('offers');
    const end = (x) => Date.parse(x.offer.expires_at);
    const next = [...offers.values()]
      .filter((x) => x !== entry && x.el.isConnected && end(x) > end(entry))
      .sort((a, b) => end(a) - end(b))[0];
    list.insertBefore(el, next ? next.el : null);
    tick();
    renderOffersMeta();
  }

  function removeOffer(id) {
    const entry = offers.get(id);
    if (!entry) return;
    offers.delete(id);
    entry.el.remove();
    renderOffersMeta();
  }

  function renderOffersMeta() {
    const n = offers.size;
    $('offers-empty').hidden = n > 0;
    $('offers-empty').textContent = me && me.status === 'available'
      ? "No offers right now. You're available: new work is offered to you as it comes."
      : 'No offers right now. Set yourself to Available to receive work.';
    $('offers-count').hidden = n === 0;
    $('offers-count').textContent = String(n);
    updateTitle();
  }

  function tick() {
    const t = now();
    for (const [id, x] of offers) {
      const end = Date.parse(x.offer.expires_at);
      const left = end - t;
      if (!(left > 0)) {
        removeOffer(id);
        continue;
      }
      const s = Math.ceil(left / 1000);
      x.countdown.textContent = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
      x.el.classList.toggle('urgent', s <= 10);
      const total = end - Date.parse(x.offer.created_at);
      const frac = total > 0 ? Math.max(0, Math.min(1, left / total)) : 1;
      x.bar.style.width = (frac * 100).toFixed(1) + '%';
    }
  }
  setInterval(tick, 250);

  async function respond(entry, action) {
    const id = entry.offer.id;
    entry.buttons.forEach((b) => (b.disabled = true));
    try {
      const r = await api('POST', `/offers/${id}/${action}`);
      removeOffer(id);
      if (action === 'accept' && r && r.conversation) {
        upsertConversation(r.conversation);
        openConversation(r.conversation.id);
      }
    } catch (e) {
      if (e.code === 'capacity_full') {
        notice("You're at full capacity. Resolve a conversation before accepting another.", 'warn');
      } else if (e.status === 409 || e.status === 404) {
        removeOffer(id);
        notice('That offer is no longer available.', 'warn');
      } else if (e.status !== 401) {
        notice(`Couldn't ${action} the offer: ${e.message}`, 'error');
      }
    } finally {
      entry.buttons.forEach((b) => (b.disabled = false));
    }
  }

  // ---- the queue: what I could take ----------------------------------------------------------

  let queueLoading = null;
  let queueAgain = false;
  let queueLast = 0;
  let queueTimer = null;
  const QUEUE_EVERY = 2000; // events come in bursts: read the queue at most this often

  // loadQueue reads the queue in the order dispatch serves it; at most one read at a time and
  // one every QUEUE_EVERY ms, and one more after it when asked meanwhile.
  function loadQueue() {
    if (!me) return;
    if (queueLoading) {
      queueAgain = true;
      return;
    }
    const wait = queueLast + QUEUE_EVERY - Date.now();
    if (wait > 0) {
      if (!queueTimer) queueTimer = setTimeout(() => { queueTimer = null; loadQueue(); }, wait);
      return;
    }
    queueLast = Date.now();
    queueLoading = (async () => {
      try {
        const r = await api('GET', '/queue');
        renderQueue((r && r.queue) || []);
      } catch (e) {
        if (e.status !== 401) notice("Couldn't load the queue: " + e.message, 'error');
      } finally {
        queueLoading = null;
        if (queueAgain) {
          queueAgain = false;
          loadQueue();
        }
      }
    })();
  }

  function waited(secs) {
    if (!(secs >= 60)) return `${Math.max(0, Math.floor(secs || 0))} s`;
    return `${Math.floor(secs / 60)} min`;
  }

  function renderQueue(rows) {
    const list = $('queue');
    list.replaceChildren();
    for (const q of rows) {
      const facts = [q.language ? q.language.toUpperCase() : null, q.intent ? q.intent.replace(/_/g, ' ') : null, `waiting ${waited(q.waiting_seconds)}`]
        .filter(Boolean).join(' · ');
      const take = q.can_take
        ? h('button', { type: 'button', class: 'secondary small', title: 'Take this conversation now' }, 'Take')
        : null;
      if (take) take.addEventListener('click', () => takeFromQueue(q.conversation_id, take));
      list.append(h('li', { class: 'queue-row' + (q.can_take ? '' : ' muted') },
        h('span', { class: 'queue-pos', 'aria-label': 'Position' }, `#${q.position}`),
        h('span', { class: 'queue-facts' }, facts, q.offered ? ' · offered' : ''),
        take));
    }
    $('queue-empty').hidden = rows.length > 0;
    $('queue-count').hidden = rows.length === 0;
    $('queue-count').textContent = String(rows.length);
  }

  async function takeFromQueue(id, button) {
    button.disabled = true;
    try {
      const r = await api('POST', `/conversations/${id}/take`);
      if (r && r.conversation) {
        upsertConversation(r.conversation);
        openConversation(r.conversation.id);
      }
    } catch (e) {
      if (e.status === 409) notice(e.message, 'warn');
      else if (e.status !== 401) notice("Couldn't take the conversation: " + e.message, 'error');
    } finally {
      button.disabled = false;
      loadQueue();
    }
  }
  setInterval(loadQueue, 15000); // waiting times move on

  // ---- my conversations -----------------------------------------------------------------------

  const convs = new Map(); // id → Conversation
  const activity = new Map(); // id → ms of the latest activity seen
  const previews = new Map(); // id → last message text seen
  const unread = new Set();
  let convsLoading = null;

  function activityOf(c) {
    return Math.max(activity.get(c.id) || 0, Date.parse(c.updated_at) || 0, Date.parse(c.created_at) || 0);
  }

  function loadConversations() {
    if (!convsLoading) {
      convsLoading = (async () => {
        try {
          const r = await api('GET', '/conversations?assignee=me');
          const list = (r && r.conversations) || [];
          const ids = new Set(list.map((c) => c.id));
          for (const id of [...convs.keys()]) if (!ids.has(id)) convs.delete(id);
          for (const c of list) {
            convs.set(c.id, c);
            tagsOf.set(c.id, c.tags || []);
          }
          renderConversations();
        } catch (e) {
          if (e.status !== 401) notice("Couldn't load conversations: " + e.message, 'error');
        } finally {
          convsLoading = null;
        }
      })();
    }
    return convsLoading;
  }

  function upsertConversation(c) {
    convs.set(c.id, c);
    renderConversations();
  }

  function renderConversations() {
    const ul = $('conversations');
    const list = [...convs.values()].sort((a, b) => activityOf(b) - activityOf(a));
    // The list is rebuilt: keep keyboard focus on the conversation it was on.
    const focused = ul.contains(document.activeElement) ? document.activeElement.dataset.id : null;
    ul.replaceChildren(
      ...list.map((c) => {
        const active = current && current.id === c.id;
        const when = new Date(activityOf(c) || Date.now()).toISOString();
        return h(
          'li',
          {},
          h(
            'button',
            {
              type: 'button',
              class: 'conv-item' + (active ? ' active' : '') + (unread.has(c.id) ? ' unread' : ''),
              'data-id': c.id,
              'aria-current': active ? 'true' : null,
              onclick: () => openConversation(c.id),
            },
            h(
              'span',
              { class: 'conv-line' },
              unread.has(c.id) ? h('span', { class: 'unread-dot', title: 'New messages' }, h('span', { class: 'sr-only' }, 'New messages: ')) : null,
              h('span', { class: 'conv-name' }, c.customer_name || `Customer #${c.customer_id}`),
              h('span', { class: 'conv-time' }, clockTime(when)),
            ),
            h(
              'span',
              { class: 'conv-line' },
              typingIn.has(c.id)
                ? h('span', { class: 'conv-preview typing-preview' }, 'typing…')
                : h('span', { class: 'conv-preview' }, previews.get(c.id) || reasonLabel(c.handoff_reason) || `Conversation #${c.id}`),
              h('span', { class: 'chip ' + c.status }, c.status),
            ),
            (tagsOf.get(c.id) || []).length
              ? h('span', { class: 'conv-tags' }, ...(tagsOf.get(c.id) || []).slice(0, 3).map((tag) => h('span', { class: 'tag' }, tag)),
                (tagsOf.get(c.id) || []).length > 3 ? h('span', { class: 'tag more' }, `+${tagsOf.get(c.id).length - 3}`) : null)
              : null,
          ),
        );
      }),
    );
    if (focused) {
      const b = ul.querySelector(`button[data-id="${focused}"]`);
      if (b) b.focus();
    }
    $('convs-empty').hidden = list.length > 0;
    updateTitle();
  }

  function updateTitle() {
    const n = offers.size + unread.size;
    document.title = (n ? `(${n}) ` : '') + 'Tandem · Agent console';
  }

  // ---- the open conversation ------------------------------------------------------------------

  let current = null; // {id, conv, msgSeq, filled, byID: Map, pending: Map}

  function closeConversation() {
    current = null;
    hideCopilot();
    hideTyping();
    closeCanned();
    $('conv').hidden = true;
    $('conv-empty').hidden = false;
    $('transcript').replaceChildren();
  }

  // openConversation shows a conversation; the reply box takes focus unless opts.focus is
  // 'list' (j/k keep the keyboard in the list).
  async function openConversation(id, opts) {
    const focusList = opts && opts.focus === 'list';
    if (current && current.id === id) {
      if (!focusList) $('compose-body').focus();
      return;
    }
    current = { id, conv: convs.get(id) || null, msgSeq: 0, filled: false, byID: new Map(), pending: new Map() };
    unread.delete(id);
    hideTyping();
    closeCanned();
    // "Internal note" was chosen for the conversation left behind: here a reply is the default
    // again, or a note meant for the team could reach this customer.
    setMode('reply');
    $('transcript').replaceChildren();
    $('conv-empty').hidden = true;
    $('conv').hidden = false;
    if (current.conv) renderHeader(current.conv);
    renderConversations();
    if (focusList) {
      const b = document.querySelector(`#conversations button[data-id="${id}"]`);
      if (b) b.focus();
    } else {
      $('compose-body').focus();
    }
    const cur = current;
    try {
      const c = await api('GET', `/conversations/${id}`);
      if (cur !== current) return;
      current.conv = c;
      tagsOf.set(id, c.tags || []);
      if (convs.has(id)) convs.set(id, c);
      renderHeader(c);
      await fillGap();
      if (cur === current) loadCopilot(id);
    } catch (e) {
      if (cur !== current) return;
      if (e.status === 404) {
        notice('That conversation is not available.', 'warn');
        convs.delete(id);
        closeConversation();
        renderConversations();
      } else if (e.status !== 401) {
        notice("Couldn't load the conversation: " + e.message, 'error');
      }
    }
  }

  function renderHeader(c) {
    $('conv-title').textContent = c.customer_name || `Customer #${c.customer_id}`;
    const parts = [`#${c.id}`, c.status];
    if (c.created_at) parts.push('started ' + clockTime(c.created_at));
    if (c.assignee_name) parts.push('assigned to ' + c.assignee_name);
    $('conv-meta').textContent = parts.join(' · ');
    const reason = $('conv-reason');
    reason.textContent = c.handoff_reason ? 'Handed over: ' + reasonLabel(c.handoff_reason) : '';
    reason.hidden = !c.handoff_reason;
    const resolve = $('resolve');
    const done = c.status === 'resolved' || c.status === 'closed';
    resolve.disabled = done;
    resolve.textContent = done ? 'Resolved' : 'Resolve';
    const mine = me && (c.assignee_id === me.id || me.role === 'admin');
    $('transfer').disabled = !(c.status === 'assigned' && mine);
    renderDetails(c);
  }

  async function fillGap() {
    const cur = current;
    while (cur && cur === current) {
      const r = await api('GET', `/conversations/${cur.id}/messages?after=${cur.msgSeq}&limit=${PAGE}`);
      const list = (r && r.messages) || [];
      for (const m of list) renderMessage(m, true);
      if (list.length < PAGE) break;
    }
    if (cur) cur.filled = true;
  }

  function messageElement(kind, label, body, createdAt, extraClass) {
    const el = h('div', { class: `msg ${kind}${extraClass ? ' ' + extraClass : ''}` });
    const meta = h('div', { class: 'who' });
    if (label) meta.append(h('span', {}, label));
    if (createdAt) meta.append(h('time', { datetime: createdAt }, clockTime(createdAt)));
    el.append(meta, h('div', { class: 'body' }, body));
    return el;
  }

  function buildMessage(m) {
    const kind = ['customer', 'assistant', 'agent', 'system'].includes(m.author_kind) ? m.author_kind : 'system';
    const customer = (current && current.conv && current.conv.customer_name) || 'Customer';
    let label = m.author_name || { customer, assistant: 'Assistant', agent: 'Agent', system: '' }[kind];
    if (m.internal) label = `Internal note · ${m.author_name || 'Agent'}`;
    const el = messageElement(kind, label, m.body || '', m.created_at, m.internal ? 'internal' : '');
    if (m.citation && m.citation.title) {
      el.append(h('div', { class: 'source' }, 'Source: ' + m.citation.title));
    }
    return el;
  }

  // place keeps server messages in seq order; local pending ones stay at the bottom.
  function place(el, seq) {
    const log = $('transcript');
    if (el.isConnected) el.remove();
    let ref = null;
    let cur = log.lastElementChild;
    while (cur && (cur.classList.contains('pending') || (cur.dataset.seq && Number(cur.dataset.seq) > seq))) {
      ref = cur;
      cur = cur.previousElementSibling;
    }
    log.insertBefore(el, ref);
  }

  function scrollDown(force) {
    const log = $('transcript');
    const near = log.scrollHeight - log.scrollTop - log.clientHeight < 150;
    if (force || near) log.scrollTop = log.scrollHeight;
  }

  // renderMessage shows a message of the open conversation once (deduplicated by id, and matched
  // to a pending local copy by client_id).
  // Until the first read of the history (fillGap) is done, a message from the stream does not
  // move the cursor: the history read after it would skip everything before it.
  function renderMessage(m, fromHistory) {
    const cur = current;
    if (!cur || m.conversation_id !== cur.id) return;
    if (typeof m.seq === 'number' && m.seq > cur.msgSeq && (fromHistory || cur.filled)) cur.msgSeq = m.seq;
    if (cur.byID.has(m.id)) return;
    let el = m.client_id ? cur.pending.get(m.client_id) : null;
    if (el) {
      cur.pending.delete(m.client_id);
      const fresh = buildMessage(m);
      el.replaceWith(fresh);
      el = fresh;
    } else {
      el = buildMessage(m);
    }
    el.dataset.id = m.id;
    el.dataset.seq = m.seq;
    place(el, m.seq);
    cur.byID.set(m.id, el);
    scrollDown(m.author_kind === 'agent');
  }

  // ---- composing ------------------------------------------------------------------------------

  const outbox = [];
  let draining = false;
  let wake = null;

  function mode() {
    const r = document.querySelector('input[name="mode"]:checked');
    return r ? r.value : 'reply';
  }

  function syncMode() {
    const note = mode() === 'note';
    $('composer').classList.toggle('note-mode', note);
    $('compose-body').placeholder = note
      ? 'Write an internal note — only your team sees it'
      : 'Write a reply… (Enter sends, Shift+Enter for a new line, / for canned replies)';
    $('compose-send').textContent = note ? 'Add note' : 'Send';
  }
  for (const r of document.querySelectorAll('input[name="mode"]')) r.addEventListener('change', syncMode);

  $('composer').addEventListener('submit', (e) => {
    e.preventDefault();
    if (!current) return;
    const ta = $('compose-body');
    const body = ta.value.trim();
    if (!body) return;
    const internal = mode() === 'note';
    ta.value = '';
    closeCanned();
    typingSentAt = 0;
    const clientID = uuid();
    const el = messageElement('agent', internal ? `Internal note · ${me ? me.name : ''}` : me ? me.name : 'You', body, null, 'pending' + (internal ? ' internal' : ''));
    el.append(h('div', { class: 'state' }, 'Sending…'));
    current.pending.set(clientID, el);
    $('transcript').append(el);
    scrollDown(true);
    outbox.push({ conv: current, clientID, body, internal, el });
    drain();
    ta.focus();
  });

  $('compose-body').addEventListener('keydown', (e) => {
    if (cannedKey(e)) return; // the canned-reply picker has the arrows, Enter and Esc while open
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $('composer').requestSubmit();
    } else if (e.key === 'Escape') {
      e.target.blur();
    }
  });
  $('compose-body').addEventListener('input', () => {
    cannedInput();
    sendTyping();
  });

  function sleep(ms) {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
  window.addEventListener('online', () => wake && wake());

  // drain sends queued messages in order; a failed send is retried with the same client_id, which
  // the server treats as the same message.
  async function drain() {
    if (draining) return;
    draining = true;
    try {
      while (outbox.length && token) {
        const job = outbox[0];
        for (let attempt = 0; token; attempt++) {
          try {
            const m = await api('POST', `/conversations/${job.conv.id}/messages`, { client_id: job.clientID, body: job.body, internal: job.internal });
            if (current === job.conv) renderMessage(m);
            break;
          } catch (e) {
            const retry = e.status === 0 || e.status === 429 || e.status >= 500;
            const st = job.el.querySelector('.state');
            if (!retry) {
              job.conv.pending.delete(job.clientID);
              job.el.classList.remove('pending');
              job.el.classList.add('failed');
              if (st) st.textContent = 'Not sent: ' + e.message;
              break;
            }
            if (attempt >= 1 && st) {
              job.el.classList.add('failed');
              st.textContent = 'Not sent yet — retrying…';
            }
            await sleep(Math.min(15000, 1000 * 2 ** attempt));
          }
        }
        outbox.shift();
      }
    } finally {
      draining = false;
      wake = null;
    }
  }

  $('resolve').addEventListener('click', async () => {
    if (!current) return;
    const cur = current;
    const btn = $('resolve');
    btn.disabled = true;
    try {
      const c = await api('POST', `/conversations/${cur.id}/resolve`);
      if (convs.has(c.id)) upsertConversation(c);
      if (cur === current) {
        current.conv = Object.assign({}, current.conv, c); // keep the packet GET added
        renderHeader(current.conv);
      }
      notice('Conversation resolved.', 'ok');
    } catch (e) {
      btn.disabled = false;
      if (e.status !== 401) notice("Couldn't resolve: " + e.message, 'error');
    }
  });

  // ---- the stream -----------------------------------------------------------------------------

  let lastSeq = (() => {
    const v = parseInt(storageGet(SEQ_KEY) || '', 10);
    return isNaN(v) ? null : v;
  })();

  function setConn(text, kind) {
    const el = $('conn');
    el.textContent = text;
    el.className = 'conn ' + kind;
  }

  const events = TandemConsole.stream({
    query: 'typing=1', token: () => token,
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


  function setSeq(seq) {
    lastSeq = seq;
    storageSet(SEQ_KEY, String(seq));
  }

  // resync catches up after (re)connecting: whatever happened while we were away.
  function resync() {
    loadOffers();
    loadConversations();
    loadQueue();
    if (current) fillGap().catch(() => {});
  }

  const unknownConvs = new Set(); // conversations we refetched the list for once already

  function onEvent(ev) {
    if (!ev || typeof ev.type !== 'string') return;
    if (ev.type === 'typing') {
      // Transient, not an event: no seq.
      onTyping(ev);
      return;
    }
    if (ev.type === 'ready') {
      if (typeof ev.seq === 'number') setSeq(ev.seq);
      resync();
      return;
    }
    // Remember where to resume. Not used to drop events: handling them is idempotent, and a
    // server whose log restarted must not be ignored.
    if (typeof ev.seq === 'number') setSeq(ev.seq);
    const data = ev.data || {};
    const type = ev.type;

    if (type === 'message.created') {
      const id = data.conversation_id || ev.conversation_id;
      if (current && current.id === id) renderMessage(data);
      if (current && current.id === id && data.author_kind === 'customer') loadCopilotSoon(id);
      if (data.author_kind === 'customer') stopTyping(id);
      if (convs.has(id)) {
        activity.set(id, Date.parse(ev.at || data.created_at) || Date.now());
        if (!data.internal && data.body) previews.set(id, data.body);
        const own = data.author_kind === 'agent' && me && data.author_id === me.id;
        if ((!current || current.id !== id) && !own) unread.add(id);
        renderConversations();
      } else if (!unknownConvs.has(id)) {
        unknownConvs.add(id);
        loadConversations();
      }
      return;
    }

    if (type.startsWith('conversation.')) {
      const c = data;
      if (!c.id) return;
      if (type !== 'conversation.queue_updated') loadQueue();
      if (type === 'conversation.tagged') tagsOf.set(c.id, c.tags || []);
      if (type === 'conversation.transferred' && current && current.id === c.id && me && c.assignee_id !== me.id) {
        notice('This conversation was transferred off you: it is back in the queue.', 'warn');
      }
      const mine = me && c.assignee_id === me.id;
      if (mine) {
        convs.set(c.id, c);
        activity.set(c.id, Date.parse(ev.at) || Date.now());
      } else if (convs.has(c.id)) {
        convs.delete(c.id); // reassigned to someone else
      }
      if (current && current.id === c.id) {
        // Events carry the conversation without what only GET adds for staff (the handoff
        // packet, the triage, the rating): keep those.
        current.conv = Object.assign({}, current.conv, c);
        renderHeader(current.conv);
      }
      renderConversations();
      return;
    }

    if (type.startsWith('offer.')) {
      loadQueue();
      if (type === 'offer.created') {
        addOffer(data);
        if (!data.preview) loadOffers(); // the list endpoint carries the preview
      }
      else {
        removeOffer(data.id);
        if (type === 'offer.accepted' && me && data.agent_id === me.id) loadConversations();
      }
      return;
    }

    if (type === 'agent.status_changed' && me && data.id === me.id) setMe(data);
    if (type === 'csat.submitted' && current && current.id === data.conversation_id && current.conv) {
      current.conv = Object.assign({}, current.conv, { csat: data });
      renderCSAT(data);
    }
  }

  // ---- copilot: the handoff packet, the customer's history, suggested replies ----------------
  //
  // Suggestions are drafts: "Use draft" puts the text in the composer for the agent to review and
  // edit. Nothing is ever sent without the agent pressing Send.

  let copilotTimer = null;
  let copilotFor = null;

  function hideCopilot() {
    clearTimeout(copilotTimer);
    copilotFor = null;
    $('copilot').hidden = true;
  }

  function loadCopilotSoon(id) {
    clearTimeout(copilotTimer);
    copilotTimer = setTimeout(() => loadCopilot(id), 400);
  }

  async function loadCopilot(id) {
    copilotFor = id;
    $('copilot-state').textContent = '· loading…';
    try {
      const c = await api('GET', `/conversations/${id}/copilot`);
      if (!current || current.id !== id || copilotFor !== id) return;
      renderCopilot(c);
      $('copilot-state').textContent = '';
    } catch (e) {
      if (current && current.id === id) $('copilot-state').textContent = e.status === 401 ? '' : "· couldn't load";
    }
  }

  function insertDraft(text) {
    const reply = document.querySelector('input[name="mode"][value="reply"]');
    if (reply && !reply.checked) {
      reply.checked = true;
      syncMode();
    }
    const ta = $('compose-body');
    ta.value = ta.value.trim() ? ta.value.replace(/\s+$/, '') + '\n\n' + text : text;
    ta.focus();
    ta.setSelectionRange(ta.value.length, ta.value.length);
  }

  function fact(dl, term, value) {
    if (value == null || value === '') return;
    dl.append(h('dt', {}, term), h('dd', {}, String(value)));
  }

  function renderCopilot(c) {
    const p = c.handoff || {};
    const cust = p.customer || {};
    $('copilot').hidden = false;
    $('copilot-summary').textContent = p.summary || '';
    const dl = $('copilot-facts');
    dl.replaceChildren();
    fact(dl, 'Intent', p.intent ? p.intent.replace(/_/g, ' ') + (p.intent_confidence ? ` (${Math.round(p.intent_confidence * 100)}%)` : '') : '');
    fact(dl, 'Language', c.language || p.language);
    if (p.mood) fact(dl, 'Mood', `${p.mood.label}, ${p.mood.trend}` + (p.mood.signals && p.mood.signals.length ? ' · ' + p.mood.signals.join(', ') : ''));
    fact(dl, 'Customer', [cust.tier === 'vip' ? 'VIP' : cust.tier, cust.verified ? 'verified' : 'not verified', cust.external_id].filter(Boolean).join(' · '));
    fact(dl, 'Last 90 days', cust.conversations_90d != null ? `${cust.conversations_90d} conversation(s)` : '');
    if (cust.orders && cust.orders.length) {
      fact(dl, 'Recent orders', cust.orders.map((o) => [o.id, o.merchant, o.amount != null ? `${o.amount} ${o.currency || ''}`.trim() : '', o.status].filter(Boolean).join(' ')).join(' · '));
    }
    const wants = $('copilot-wants');
    wants.replaceChildren();
    if (p.customer_wants && p.customer_wants.length) {
      wants.append(h('h3', { class: 'copilot-h' }, 'In their words'), h('ul', {}, ...p.customer_wants.map((w) => h('li', {}, '“' + w + '”'))));
    }
    if (p.assistant_said && p.assistant_said.length) {
      wants.append(
        h('h3', { class: 'copilot-h' }, 'The assistant already said'),
        h('ul', {}, ...p.assistant_said.map((s) => h('li', {}, (s.article ? `[${s.article}] ` : s.action ? `[${s.action}] ` : `[${s.kind}] `) + (s.text || '')))),
      );
    }
    const hist = $('copilot-history');
    hist.replaceChildren();
    if (c.history && c.history.length) {
      hist.append(
        h('h3', { class: 'copilot-h' }, 'Earlier conversations'),
        h('ul', {}, ...c.history.map((x) => h('li', {}, `#${x.id} · ${clockTime(x.created_at)} · ${x.status}` + (x.intent ? ' · ' + x.intent.replace(/_/g, ' ') : '') + (x.assignee_name ? ' · ' + x.assignee_name : '')))),
      );
    }
    const list = $('copilot-suggestions');
    list.replaceChildren();
    const items = [];
    if (p.draft_reply) items.push({ title: 'Drafted first reply', draft: p.draft_reply, language: p.language });
    for (const s of c.suggestions || []) items.push(s);
    for (const s of items) {
      const use = h('button', { type: 'button', class: 'secondary small' }, 'Use draft');
      use.addEventListener('click', () => insertDraft(s.draft));
      list.append(
        h(
          'li',
          { class: 'suggestion' },
          h('div', { class: 'suggestion-top' }, h('strong', {}, s.title), s.language ? h('span', { class: 'chip' }, s.language) : null, s.phrased ? h('span', { class: 'chip' }, 'LLM') : null, use),
          h('div', { class: 'suggestion-draft' }, s.draft.length > 280 ? s.draft.slice(0, 279) + '…' : s.draft),
        ),
      );
    }
    if (!items.length) list.append(h('li', { class: 'empty' }, 'No suggestions for the latest message.'));
  }

  // ---- the details panel: the customer, tags, the rating ---------------------------------------

  const tagsOf = new Map(); // conversation id → its tags (from GET, the list, conversation.tagged)
  const knownTags = new Set(); // every tag seen, offered as suggestions

  function initials(name) {
    const parts = String(name || '').trim().split(/\s+/).filter(Boolean);
    if (!parts.length) return '?';
    return (parts[0][0] + (parts.length > 1 ? parts[parts.length - 1][0] : '')).toUpperCase();
  }

  let langNames = null;
  function languageName(code) {
    if (!code) return '';
    try {
      langNames = langNames || new Intl.DisplayNames(['en'], { type: 'language' });
      const n = langNames.of(code);
      return n && n !== code ? `${n} (${code})` : code;
    } catch (e) {
      return code;
    }
  }

  function moodOf(tr, mood) {
    if (mood && mood.label) return mood.label + (mood.trend && mood.trend !== 'steady' ? `, ${mood.trend}` : '');
    if (tr.frustrated) return 'frustrated';
    if (typeof tr.sentiment === 'number' && tr.language) return tr.sentiment < -0.3 ? 'negative' : tr.sentiment > 0.3 ? 'positive' : 'neutral';
    return '';
  }

  function duration(ms) {
    if (!(ms >= 0)) return '';
    const s = Math.round(ms / 1000);
    if (s < 60) return `${s} s`;
    const m = Math.round(s / 60);
    return m < 60 ? `${m} min` : `${Math.floor(m / 60)} h ${m % 60} min`;
  }

  function renderDetails(c) {
    const p = c.handoff || {};
    const cust = p.customer || {};
    const tr = c.triage || {};
    const name = c.customer_name || cust.name || `Customer #${c.customer_id}`;
    $('cust-avatar').textContent = initials(c.customer_name || cust.name || '');
    $('cust-name').textContent = name;
    const chips = $('cust-chips');
    chips.replaceChildren();
    if (cust.tier === 'vip') chips.append(h('span', { class: 'chip vip' }, 'VIP'));
    if (cust.verified === true) chips.append(h('span', { class: 'chip ok' }, 'Verified'));
    else if (cust.verified === false) chips.append(h('span', { class: 'chip' }, 'Not signed in'));
    if (tr.frustrated) chips.append(h('span', { class: 'chip warn' }, 'Frustrated'));
    if (tr.sensitive) chips.append(h('span', { class: 'chip warn' }, 'Sensitive: ' + tr.sensitive));
    const dl = $('cust-facts');
    dl.replaceChildren();
    fact(dl, 'Customer ID', cust.external_id);
    fact(dl, 'Language', languageName(tr.language || p.language));
    fact(dl, 'Topic', (tr.intent || p.intent || '').replace(/_/g, ' '));
    fact(dl, 'Mood', moodOf(tr, p.mood));
    fact(dl, 'Conversation', `#${c.id} · ${c.status}`);
    if (c.created_at) fact(dl, 'Started', clockTime(c.created_at));
    if (c.queued_at && c.assigned_at && Date.parse(c.assigned_at) >= Date.parse(c.queued_at)) {
      fact(dl, 'Waited', duration(Date.parse(c.assigned_at) - Date.parse(c.queued_at)));
    }
    if (cust.conversations_90d != null) fact(dl, 'Last 90 days', `${cust.conversations_90d} conversation(s)`);
    renderTags(c.id);
    renderCSAT(c.csat || null);
  }

  function renderTags(id) {
    const list = tagsOf.get(id) || [];
    for (const tag of list) knownTags.add(tag);
    const ul = $('tags');
    ul.replaceChildren(
      ...list.map((tag) =>
        h('li', { class: 'tag-chip' }, h('span', { class: 'tag-text' }, tag),
          h('button', { type: 'button', class: 'tag-x', 'aria-label': `Remove tag ${tag}`, title: 'Remove', onclick: () => saveTags(id, list.filter((x) => x !== tag)) }, '×'))),
    );
    if (!list.length) ul.append(h('li', { class: 'none' }, 'No tags yet'));
    $('tag-suggestions').replaceChildren(...[...knownTags].filter((x) => !list.includes(x)).sort().map((x) => h('option', { value: x })));
  }

  async function saveTags(id, tags) {
    const before = tagsOf.get(id) || [];
    tagsOf.set(id, tags);
    if (current && current.id === id) renderTags(id);
    renderConversations();
    try {
      const c = await api('PUT', `/conversations/${id}/tags`, { tags });
      tagsOf.set(id, c.tags || []);
    } catch (e) {
      tagsOf.set(id, before);
      if (e.status !== 401) notice("Couldn't save the tags: " + e.message, 'error');
    }
    if (current && current.id === id) renderTags(id);
    renderConversations();
  }

  $('tag-form').addEventListener('submit', (e) => {
    e.preventDefault();
    if (!current) return;
    const input = $('tag-input');
    const add = input.value.split(',').map((x) => x.trim().toLowerCase().replace(/\s+/g, ' ')).filter(Boolean);
    input.value = '';
    if (!add.length) return;
    const cur = tagsOf.get(current.id) || [];
    saveTags(current.id, [...new Set([...cur, ...add])].sort());
  });
  $('tag-input').addEventListener('keydown', (e) => {
    if (e.key === 'Escape') e.target.blur();
  });

  function renderCSAT(r) {
    $('csat-box').hidden = !r;
    if (!r) return;
    const stars = $('csat-stars');
    stars.textContent = '★'.repeat(r.score) + '☆'.repeat(Math.max(0, 5 - r.score));
    stars.setAttribute('aria-label', `${r.score} out of 5`);
    stars.className = 'csat-stars' + (r.score <= 2 ? ' low' : '');
    $('csat-comment').textContent = r.comment ? '“' + r.comment + '”' : 'No comment.';
  }

  // ---- typing: theirs shown, mine sent ---------------------------------------------------------

  const typingIn = new Map(); // conversation id → timer while the customer (or a colleague) types
  let typingSentAt = 0;

  function onTyping(ev) {
    const id = ev.conversation_id;
    const d = ev.data || {};
    if (!id) return;
    const fresh = !typingIn.has(id);
    clearTimeout(typingIn.get(id));
    typingIn.set(id, setTimeout(() => stopTyping(id), 6000));
    if (current && current.id === id) {
      const who = d.author_kind === 'customer' ? d.name || (current.conv && current.conv.customer_name) || 'Customer' : d.name || 'A colleague';
      $('typing-text').textContent = `${who} is typing…`;
      const el = $('typing');
      if (el.hidden) {
        el.hidden = false;
        scrollDown(false);
      }
    }
    if (fresh && convs.has(id)) renderConversations();
  }

  function stopTyping(id) {
    if (!typingIn.has(id)) return;
    clearTimeout(typingIn.get(id));
    typingIn.delete(id);
    if (current && current.id === id) hideTyping();
    if (convs.has(id)) renderConversations();
  }

  function hideTyping() {
    $('typing').hidden = true;
  }

  function sendTyping() {
    const cur = current;
    if (!cur || mode() !== 'reply' || !cur.conv || cur.conv.status !== 'assigned' || canned.open) return;
    if (!$('compose-body').value.trim()) return;
    const t = Date.now();
    if (t - typingSentAt < 3000) return;
    typingSentAt = t;
    api('POST', `/conversations/${cur.id}/typing`).catch(() => {});
  }

  // ---- canned replies: "/" in the reply, or the button ----------------------------------------

  let cannedList = null;
  let cannedLoading = null;
  const canned = { open: false, items: [], active: 0, start: -1, query: '' };

  function loadCanned(force) {
    if (!cannedLoading || force) {
      cannedLoading = api('GET', '/canned-replies')
        .then((r) => {
          cannedList = (r && r.canned_replies) || [];
          return cannedList;
        })
        .catch((e) => {
          cannedLoading = null;
          throw e;
        });
    }
    return cannedLoading;
  }

  // slashQuery finds "/word" right before the caret, at the start or after a space.
  function slashQuery() {
    const ta = $('compose-body');
    if (ta.selectionStart !== ta.selectionEnd) return null;
    const before = ta.value.slice(0, ta.selectionStart);
    const m = /(^|\s)\/([\w-]*)$/.exec(before);
    return m ? { start: before.length - m[2].length - 1, query: m[2] } : null;
  }

  function cannedInput() {
    const q = slashQuery();
    if (q) openCanned(q.start, q.query);
    else if (canned.open && canned.start >= 0) closeCanned();
  }

  async function openCanned(start, query) {
    const fresh = !canned.open;
    canned.open = true;
    canned.start = start;
    canned.query = query.toLowerCase();
    if (fresh) canned.active = 0;
    $('canned').hidden = false;
    $('compose-body').setAttribute('aria-expanded', 'true');
    $('canned-open').setAttribute('aria-expanded', 'true');
    $('canned-manage').hidden = !(me && (me.role === 'admin' || me.role === 'supervisor'));
    if (!cannedList) {
      $('canned-list').replaceChildren(h('li', { class: 'muted' }, 'Loading…'));
      try {
        await loadCanned();
      } catch (e) {
        closeCanned();
        if (e.status !== 401) notice("Couldn't load the canned replies: " + e.message, 'error');
        return;
      }
    }
    if (canned.open) renderCanned();
  }

  function renderCanned() {
    const q = canned.query;
    const items = (cannedList || [])
      .filter((c) => !q || c.shortcut.includes(q) || c.title.toLowerCase().includes(q) || c.body.toLowerCase().includes(q))
      .sort((a, b) => Number(!a.shortcut.startsWith(q)) - Number(!b.shortcut.startsWith(q)) || a.shortcut.localeCompare(b.shortcut));
    canned.items = items;
    canned.active = Math.max(0, Math.min(canned.active, items.length - 1));
    const ul = $('canned-list');
    ul.replaceChildren(
      ...items.map((c, i) =>
        h('li', {
          id: 'canned-opt-' + c.id, role: 'option', class: 'canned-item' + (i === canned.active ? ' active' : ''), 'aria-selected': String(i === canned.active),
          onmousedown: (e) => {
            e.preventDefault(); // keep the caret in the reply
            insertCanned(c);
          },
        },
        h('span', { class: 'canned-top' }, h('code', {}, '/' + c.shortcut), h('strong', {}, c.title)),
        h('span', { class: 'canned-body' }, c.body.length > 160 ? c.body.slice(0, 159) + '…' : c.body))),
    );
    const empty = $('canned-empty');
    empty.hidden = items.length > 0;
    empty.textContent = (cannedList || []).length
      ? `No canned reply matches “/${q}”.`
      : 'No canned replies yet.' + (me && me.role === 'admin' ? ' Add the first one below.' : ' An admin can add them.');
    const ta = $('compose-body');
    if (items.length) {
      ta.setAttribute('aria-activedescendant', 'canned-opt-' + items[canned.active].id);
      const act = ul.children[canned.active];
      if (act && act.scrollIntoView) act.scrollIntoView({ block: 'nearest' });
    } else {
      ta.removeAttribute('aria-activedescendant');
    }
  }

  function closeCanned() {
    if (!canned.open && $('canned').hidden) return;
    canned.open = false;
    canned.start = -1;
    $('canned').hidden = true;
    const ta = $('compose-body');
    ta.removeAttribute('aria-activedescendant');
    ta.setAttribute('aria-expanded', 'false');
    $('canned-open').setAttribute('aria-expanded', 'false');
  }

  // cannedKey handles a key in the reply box while the picker is open; true when it did.
  function cannedKey(e) {
    if (!canned.open || e.isComposing) return false;
    const n = canned.items.length;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (n) canned.active = (canned.active + (e.key === 'ArrowDown' ? 1 : n - 1)) % n;
      renderCanned();
      return true;
    }
    if ((e.key === 'Enter' || e.key === 'Tab') && !e.shiftKey && n) {
      e.preventDefault();
      insertCanned(canned.items[canned.active]);
      return true;
    }
    if (e.key === 'Escape') {
      e.preventDefault();
      closeCanned();
      return true;
    }
    return false;
  }

  // fillIn replaces {{first_name}}, {{name}} and {{agent_name}}.
  function fillIn(text) {
    const name = ((current && current.conv && current.conv.customer_name) || '').trim();
    const first = name.split(/\s+/)[0] || '';
    return text.replace(/\{\{\s*(first_name|name|agent_name)\s*\}\}/g, (m, k) =>
      k === 'agent_name' ? (me && me.name) || '' : (k === 'first_name' ? first : name) || 'there');
  }

  function insertCanned(c) {
    const ta = $('compose-body');
    const text = fillIn(c.body);
    let start = canned.start;
    let end = ta.selectionEnd;
    if (start < 0) {
      start = ta.selectionStart;
    }
    ta.value = ta.value.slice(0, start) + text + ta.value.slice(end);
    const caret = start + text.length;
    closeCanned();
    ta.focus();
    ta.setSelectionRange(caret, caret);
    sendTyping();
  }

  $('canned-open').addEventListener('click', () => {
    if (canned.open) {
      closeCanned();
      return;
    }
    $('compose-body').focus();
    openCanned(-1, '');
  });
  $('compose-body').addEventListener('blur', (e) => {
    if (!e.relatedTarget || !$('canned').contains(e.relatedTarget)) closeCanned();
  });

  // Admins keep the list: add and delete.
  $('canned-manage').addEventListener('mousedown', (e) => e.preventDefault());
  $('canned-manage').addEventListener('click', openCannedDialog);

  async function openCannedDialog() {
    closeCanned();
    $('canned-error').hidden = true;
    $('canned-dialog').showModal();
    $('canned-shortcut').focus();
    try {
      await loadCanned(true);
    } catch (e) {
      showCannedError(e.message);
    }
    renderCannedAdmin();
  }

  function showCannedError(msg) {
    const el = $('canned-error');
    el.textContent = msg || '';
    el.hidden = !msg;
  }

  function renderCannedAdmin() {
    const ul = $('canned-admin-list');
    const list = cannedList || [];
    ul.replaceChildren(
      ...list.map((c) =>
        h('li', {},
          h('div', { class: 'canned-top' }, h('code', {}, '/' + c.shortcut), h('strong', {}, c.title),
            h('button', {
              type: 'button', class: 'ghost small danger', 'aria-label': `Delete /${c.shortcut}`,
              onclick: async (e) => {
                e.target.disabled = true;
                try {
                  await api('DELETE', `/canned-replies/${c.id}`);
                  cannedList = cannedList.filter((x) => x.id !== c.id);
                  renderCannedAdmin();
                } catch (err) {
                  e.target.disabled = false;
                  showCannedError(err.message);
                }
              },
            }, 'Delete')),
          h('p', { class: 'canned-body' }, c.body))),
    );
    if (!list.length) ul.append(h('li', { class: 'none' }, 'No canned replies yet.'));
  }

  $('canned-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const btn = $('canned-save');
    btn.disabled = true;
    showCannedError(null);
    try {
      const c = await api('POST', '/canned-replies', { shortcut: $('canned-shortcut').value, title: $('canned-title').value, body: $('canned-body').value });
      cannedList = (cannedList || []).filter((x) => x.id !== c.id).concat([c]).sort((a, b) => a.shortcut.localeCompare(b.shortcut));
      $('canned-form').reset();
      renderCannedAdmin();
      $('canned-shortcut').focus();
      notice(`Canned reply /${c.shortcut} added.`, 'ok');
    } catch (err) {
      showCannedError(err.message);
    } finally {
      btn.disabled = false;
    }
  });
  $('canned-close').addEventListener('click', () => {
    $('canned-dialog').close();
    $('compose-body').focus();
  });

  // ---- transfer ----------------------------------------------------------------------------------

  function targetRow(value, name, detail, disabled, status) {
    const id = 'transfer-to-' + value;
    return h('label', { class: 'target' + (disabled ? ' disabled' : ''), for: id },
      h('input', { type: 'radio', name: 'transfer-to', id, value, disabled }),
      status ? h('i', { class: 'dot ' + status, 'aria-hidden': 'true' }) : h('i', { class: 'dot queue', 'aria-hidden': 'true' }),
      h('span', { class: 'target-name' }, name),
      h('span', { class: 'target-detail' }, detail));
  }

  async function openTransfer() {
    if (!current || $('transfer').disabled) return;
    const box = $('transfer-targets');
    const queue = targetRow('queue', 'Back to the queue', 'the next available person is offered it', false, '');
    box.replaceChildren(queue, h('p', { class: 'muted' }, 'Loading colleagues…'));
    queue.querySelector('input').checked = true;
    $('transfer-error').hidden = true;
    $('transfer-note').value = '';
    $('transfer-submit').disabled = false;
    $('transfer-dialog').showModal();
    try {
      const r = await api('GET', '/agents');
      const order = { available: 0, away: 1, offline: 2 };
      const others = ((r && r.agents) || [])
        .filter((a) => !me || a.id !== me.id)
        .sort((a, b) => (order[a.status] ?? 3) - (order[b.status] ?? 3) || a.name.localeCompare(b.name));
      const rows = others.map((a) => {
        const full = a.active_conversations >= a.capacity;
        const ok = a.status === 'available' && !full;
        const detail = a.status !== 'available' ? a.status : full ? `no free slot (${a.active_conversations}/${a.capacity})` : `available · ${a.active_conversations}/${a.capacity} conversations`;
        return targetRow(String(a.id), a.name, detail, !ok, a.status);
      });
      box.replaceChildren(queue, ...rows);
    } catch (e) {
      box.replaceChildren(queue, h('p', { class: 'muted' }, "Couldn't load your colleagues: " + e.message));
    }
  }
  $('transfer').addEventListener('click', openTransfer);
  $('transfer-cancel').addEventListener('click', () => $('transfer-dialog').close());

  $('transfer-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const sel = document.querySelector('input[name="transfer-to"]:checked');
    if (!sel || !current) return;
    const cur = current;
    const body = sel.value === 'queue' ? { to: 'queue' } : { agent_id: Number(sel.value) };
    const note = $('transfer-note').value.trim();
    if (note) body.note = note;
    const who = sel.closest('label').querySelector('.target-name').textContent;
    const btn = $('transfer-submit');
    btn.disabled = true;
    try {
      const r = await api('POST', `/conversations/${cur.id}/transfer`, body);
      $('transfer-dialog').close();
      convs.delete(cur.id);
      unread.delete(cur.id);
      if (current === cur) closeConversation();
      renderConversations();
      notice(r && r.offer ? `Transferred: ${who} is offered the conversation now.` : 'Back in the queue: the next available person will be offered it.', 'ok');
    } catch (err) {
      const el = $('transfer-error');
      el.textContent = err.message;
      el.hidden = false;
      btn.disabled = false;
    }
  });

  // ---- resolve with a question (the e shortcut) ---------------------------------------------------

  function confirmResolve() {
    if (!current || $('resolve').disabled) return;
    $('resolve-dialog').showModal();
    $('resolve-yes').focus();
  }
  $('resolve-cancel').addEventListener('click', () => $('resolve-dialog').close());
  $('resolve-yes').addEventListener('click', (e) => {
    e.preventDefault();
    $('resolve-dialog').close();
    $('resolve').click();
  });

  // ---- keyboard shortcuts --------------------------------------------------------------------------

  function inTextField(el) {
    if (!el || el === document.body) return false;
    if (el.isContentEditable || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT') return true;
    return el.tagName === 'INPUT' && !['radio', 'checkbox', 'button', 'submit'].includes(el.type);
  }

  function setMode(value) {
    const r = document.querySelector(`input[name="mode"][value="${value}"]`);
    if (r && !r.checked) {
      r.checked = true;
      syncMode();
    }
  }

  function firstOffer() {
    const el = document.querySelector('#offers li.offer');
    return el ? [...offers.values()].find((x) => x.el === el) : null;
  }

  function stepConversation(d) {
    const items = [...document.querySelectorAll('#conversations .conv-item')];
    if (!items.length) return;
    const at = items.findIndex((b) => current && Number(b.dataset.id) === current.id);
    const next = at < 0 ? (d > 0 ? 0 : items.length - 1) : Math.max(0, Math.min(items.length - 1, at + d));
    openConversation(Number(items[next].dataset.id), { focus: 'list' });
  }

  document.addEventListener('keydown', (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.isComposing || e.repeat) return;
    if ($('app').hidden || document.querySelector('dialog[open]') || inTextField(e.target)) return;
    const offer = () => firstOffer();
    switch (e.key) {
      case 'a': {
        const o = offer();
        if (o) respond(o, 'accept');
        else notice('No offer to accept.', 'warn');
        break;
      }
      case 'd': {
        const o = offer();
        if (o) respond(o, 'decline');
        break;
      }
      case 'j':
        stepConversation(1);
        break;
      case 'k':
        stepConversation(-1);
        break;
      case 'r':
      case 'n':
        if (!current) return;
        setMode(e.key === 'r' ? 'reply' : 'note');
        $('compose-body').focus();
        break;
      case '/':
        if (!current) return;
        $('compose-body').focus();
        openCanned(-1, '');
        break;
      case 't':
        if (!current) return;
        $('tag-input').focus();
        break;
      case 'e':
        confirmResolve();
        break;
      case '?':
        $('shortcuts-dialog').showModal();
        break;
      default:
        return;
    }
    e.preventDefault();
  });
  $('shortcuts-open').addEventListener('click', () => $('shortcuts-dialog').showModal());

  // ---- alerts for new offers: a sound, a desktop notification (both opt-in) -----------------------

  const ALERTS_KEY = 'tandem.agent.alerts';
  const alerts = (() => {
    try {
      const v = JSON.parse(localStorage.getItem(ALERTS_KEY) || '{}');
      return v && typeof v === 'object' ? v : {};
    } catch (e) {
      return {};
    }
  })();
  const canNotify = () => 'Notification' in window && Notification.permission === 'granted';

  function renderAlerts() {
    const desktop = !!alerts.desktop && canNotify();
    $('alert-sound').checked = !!alerts.sound;
    $('alert-desktop').checked = desktop;
    $('alerts-state').textContent = alerts.sound && desktop ? 'Sound + desktop' : alerts.sound ? 'Sound on' : desktop ? 'Desktop on' : 'Alerts off';
    $('alerts').classList.toggle('on', !!alerts.sound || desktop);
  }

  function saveAlerts() {
    try {
      localStorage.setItem(ALERTS_KEY, JSON.stringify(alerts));
    } catch (e) {
      /* private mode: for this page only */
    }
    renderAlerts();
  }

  function alertNote(text) {
    const el = $('alert-note');
    el.textContent = text || '';
    el.hidden = !text;
  }

  $('alert-sound').addEventListener('change', (e) => {
    alerts.sound = e.target.checked;
    saveAlerts();
    if (alerts.sound) beep(); // a sample — and the click lets the page play sound
  });

  $('alert-desktop').addEventListener('change', async (e) => {
    alertNote(null);
    if (!e.target.checked) {
      alerts.desktop = false;
      saveAlerts();
      return;
    }
    if (!('Notification' in window)) {
      alerts.desktop = false;
      alertNote('This browser cannot show desktop notifications.');
      saveAlerts();
      return;
    }
    let perm = Notification.permission;
    if (perm === 'default') {
      try {
        perm = await Notification.requestPermission();
      } catch (err) {
        perm = 'denied';
      }
    }
    alerts.desktop = perm === 'granted';
    if (!alerts.desktop) alertNote('Notifications are blocked for this site: allow them in your browser’s site settings.');
    saveAlerts();
  });

  document.addEventListener('click', (e) => {
    const d = $('alerts');
    if (d.open && !d.contains(e.target)) d.open = false;
  });

  let audio = null;
  function beep() {
    const AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) return;
    try {
      audio = audio || new AC();
      if (audio.state === 'suspended') audio.resume();
      const t0 = audio.currentTime + 0.01;
      for (const [freq, at] of [[880, 0], [1320, 0.16]]) {
        const osc = audio.createOscillator();
        const gain = audio.createGain();
        osc.type = 'sine';
        osc.frequency.value = freq;
        gain.gain.setValueAtTime(0.0001, t0 + at);
        gain.gain.exponentialRampToValueAtTime(0.25, t0 + at + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, t0 + at + 0.14);
        osc.connect(gain);
        gain.connect(audio.destination);
        osc.start(t0 + at);
        osc.stop(t0 + at + 0.15);
      }
    } catch (e) {
      /* no sound is not an error */
    }
  }

  // alertOffer rings for an offer that just arrived on the stream.
  function alertOffer(o) {
    if (alerts.sound) beep();
    if (alerts.desktop && canNotify() && (document.hidden || !document.hasFocus())) {
      const c = o.conversation || {};
      try {
        const n = new Notification('New conversation offered', {
          body: [c.customer_name, o.preview || reasonLabel(c.handoff_reason)].filter(Boolean).join(': '),
          tag: 'tandem-offer-' + o.id,
        });
        n.onclick = () => {
          window.focus();
          n.close();
        };
      } catch (e) {
        /* some browsers only notify from a service worker */
      }
    }
  }
  renderAlerts();

  // ---- start ----------------------------------------------------------------------------------

  syncMode();
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
