/*
 * Tandem chat widget.
 *
 *   <script src="https://HOST/widget.js" data-workspace="acme" async></script>
 *
 * Optional attributes: data-title, data-external-id, data-name, data-email, data-user-hash.
 * Renders inside a shadow DOM (host-page CSS cannot reach it) and talks to HOST's /api/v1 with a
 * Bearer token kept in localStorage. User-provided text is only ever inserted as text nodes.
 */
(() => {
  'use strict';

  // document.currentScript is null in some async/deferred loaders: fall back to a lookup.
  let script = document.currentScript;
  if (!script || !script.getAttribute('data-workspace')) {
    script = document.querySelector('script[src*="widget.js"][data-workspace]');
  }
  if (!script) return;

  const attr = (name) => (script.getAttribute('data-' + name) || '').trim();
  const workspace = attr('workspace');
  if (!workspace) return;

  window.__tandemWidgets = window.__tandemWidgets || {};
  if (window.__tandemWidgets[workspace]) return; // included twice
  window.__tandemWidgets[workspace] = true;

  const cfg = {
    workspace,
    title: attr('title') || workspace.charAt(0).toUpperCase() + workspace.slice(1),
    externalId: attr('external-id'),
    name: attr('name'),
    email: attr('email'),
    userHash: attr('user-hash'),
  };
  const origin = new URL(script.src, location.href).origin;
  const api = origin + '/api/v1';
  const streamURL = origin.replace(/^http/, 'ws') + '/api/v1/stream';

  const PAGE = 200; // messages per history request
  const HANDOFF_REASON = 'human_request'; // the machine-readable reason the assistant uses too
  const HANDOFF_BODY = 'I would like to talk to a person';

  // ---- persisted state ------------------------------------------------------------------

  const storeKey = 'tandem.widget.' + workspace;
  const state = load();

  function load() {
    try {
      const s = JSON.parse(localStorage.getItem(storeKey) || '{}');
      return s && typeof s === 'object' ? s : {};
    } catch (e) {
      return {};
    }
  }
  function save() {
    try {
      localStorage.setItem(storeKey, JSON.stringify(state));
    } catch (e) {
      /* private mode or quota: keep working in memory */
    }
  }

  // ---- DOM helpers ----------------------------------------------------------------------

  // h builds an element. Children that are strings become text nodes: never parsed as HTML.
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

  function icon(d) {
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    const p = document.createElementNS(ns, 'path');
    p.setAttribute('d', d);
    svg.append(p);
    return svg;
  }
  const ICON_CHAT = 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z';
  const ICON_CLOSE = 'M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12 19 17.6 17.6 19 12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z';
  const ICON_SEND = 'M3 20.5 21 12 3 3.5v6.6l12 1.9-12 1.9z';

  function uuid() {
    if (window.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
    const b = new Uint8Array(16);
    if (window.crypto && crypto.getRandomValues) crypto.getRandomValues(b);
    else for (let i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const x = Array.from(b, (n) => n.toString(16).padStart(2, '0')).join('');
    return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
  }

  function timeOf(iso) {
    const d = iso ? new Date(iso) : new Date();
    if (isNaN(d)) return '';
    return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }

  // ---- the widget's DOM ---------------------------------------------------------------------

  const host = document.createElement('div');
  host.id = 'tandem-widget-' + workspace.replace(/[^a-zA-Z0-9_-]/g, '');
  const root = host.attachShadow({ mode: 'open' });

  const stylesheet = h('link', { rel: 'stylesheet', href: origin + '/static/widget.css' });
  const titleID = 'tandem-title';
  const logEl = h('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Messages' });
  const statusEl = h('div', { class: 'status', role: 'status', hidden: true });
  // When nobody who can help is online, the customer may leave an email for a follow-up.
  const followEmail = h('input', {
    type: 'email',
    placeholder: 'you@example.com',
    'aria-label': 'Your email address',
    maxlength: '200',
    autocomplete: 'email',
    required: true,
  });
  const followBtn = h('button', { type: 'submit' }, 'Email me');
  const followEl = h(
    'form',
    { class: 'follow-up', hidden: true },
    h('span', { class: 'fu-q' }, "Leave your email and we'll also write to you there:"),
    followEmail,
    followBtn,
  );
  const input = h('textarea', {
    rows: '1',
    placeholder: 'Write a message…',
    'aria-label': 'Message',
    maxlength: '4000',
  });
  const sendBtn = h('button', { type: 'submit', class: 'send', 'aria-label': 'Send message' }, icon(ICON_SEND));
  const composer = h('form', { class: 'composer' }, input, sendBtn);
  const humanBtn = h('button', { type: 'button', class: 'human' }, 'Talk to a person');
  const closeBtn = h('button', { type: 'button', class: 'close', 'aria-label': 'Close chat' }, icon(ICON_CLOSE));
  const panel = h(
    'div',
    { class: 'panel', id: 'tandem-panel', role: 'dialog', 'aria-labelledby': titleID, hidden: true },
    h(
      'header',
      { class: 'head' },
      h('div', { class: 'avatar', 'aria-hidden': 'true' }, cfg.title.charAt(0).toUpperCase()),
      h('div', { class: 'titles' }, h('div', { class: 'title', id: titleID }, cfg.title), h('div', { class: 'subtitle' }, 'We usually reply in a few minutes')),
      closeBtn,
    ),
    h('div', { class: 'human-bar' }, humanBtn),
    statusEl,
    followEl,
    logEl,
    composer,
    h('div', { class: 'foot' }, 'Powered by Tandem'),
  );
  const badge = h('span', { class: 'badge', hidden: true, 'aria-hidden': 'true' });
  const bubble = h(
    'button',
    { type: 'button', class: 'bubble', 'aria-label': `Open chat with ${cfg.title}`, 'aria-expanded': 'false', 'aria-controls': 'tandem-panel' },
    icon(ICON_CHAT),
    badge,
  );
  // Hidden until the stylesheet has loaded, so the page never shows an unstyled widget.
  const container = h('div', { class: 'tandem', hidden: true }, panel, bubble);
  let shown = false;
  const reveal = () => {
    if (!shown) {
      shown = true;
      container.hidden = false;
    }
  };
  stylesheet.addEventListener('load', reveal);
  stylesheet.addEventListener('error', reveal);
  setTimeout(reveal, 4000);
  root.append(stylesheet, container);

  logEl.append(
    h('div', { class: 'intro' }, `Hi! Ask ${cfg.title} anything. Want a human instead? Tap “Talk to a person” at any time.`),
  );

  function mount() {
    document.body.append(host);
  }
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);

  // ---- open / close -------------------------------------------------------------------------

  let isOpen = false;
  let unread = 0;

  function openPanel() {
    isOpen = true;
    panel.hidden = false;
    bubble.setAttribute('aria-expanded', 'true');
    bubble.setAttribute('aria-label', 'Close chat');
    bubble.classList.add('open');
    setUnread(0);
    scrollDown(true);
    input.focus();
    boot().catch(() => {});
  }
  function closePanel() {
    const hadFocus = root.activeElement && panel.contains(root.activeElement);
    isOpen = false;
    panel.hidden = true;
    bubble.setAttribute('aria-expanded', 'false');
    bubble.setAttribute('aria-label', `Open chat with ${cfg.title}`);
    bubble.classList.remove('open');
    if (hadFocus) bubble.focus();
  }
  function setUnread(n) {
    unread = n;
    badge.hidden = n === 0;
    badge.textContent = n > 9 ? '9+' : String(n);
  }

  bubble.addEventListener('click', () => (isOpen ? closePanel() : openPanel()));
  closeBtn.addEventListener('click', closePanel);
  root.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && isOpen) {
      e.stopPropagation();
      closePanel();
    }
  });

  // ---- HTTP -------------------------------------------------------------------------------

  class APIError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status; // 0 = network failure
      this.code = code;
    }
  }

  async function call(method, path, body) {
    const headers = { Accept: 'application/json' };
    if (state.token) headers.Authorization = 'Bearer ' + state.token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res;
    try {
      res = await fetch(api + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        mode: 'cors',
        credentials: 'omit',
      });
    } catch (e) {
      throw new APIError(0, 'network', 'network error');
    }
    let data = null;
    const text = await res.text().catch(() => '');
    if (text) {
      try {
        data = JSON.parse(text);
      } catch (e) {
        data = null;
      }
    }
    if (!res.ok) {
      const err = (data && data.error) || {};
      if (res.status === 401 && path !== '/widget/session') forgetSession();
      throw new APIError(res.status, err.code || 'http_' + res.status, err.message || res.statusText);
    }
    return data;
  }

  const retryable = (e) => !(e instanceof APIError) || e.status === 0 || e.status === 401 || e.status === 429 || e.status >= 500;

  // ---- session ----------------------------------------------------------------------------

  let sessionPromise = null;

  function ensureSession() {
    if (state.token && (state.externalId || '') === cfg.externalId) return Promise.resolve();
    if (!sessionPromise) {
      sessionPromise = createSession().finally(() => {
        sessionPromise = null;
      });
    }
    return sessionPromise;
  }

  async function createSession() {
    const customer = { locale: navigator.language || '' };
    if (cfg.externalId) customer.external_id = cfg.externalId;
    if (cfg.name) customer.name = cfg.name;
    if (cfg.email) customer.email = cfg.email;
    const body = { workspace: cfg.workspace, customer };
    if (cfg.userHash) body.user_hash = cfg.userHash;
    const s = await call('POST', '/widget/session', body);
    // A new session is a new customer: nothing of the old one carries over.
    resetConversation();
    state.token = s.token;
    state.customerId = s.customer_id;
    state.externalId = cfg.externalId;
    state.streamSeq = null;
    save();
  }

  // forgetSession drops a token the server no longer accepts; the next action starts a new one.
  function forgetSession() {
    delete state.token;
    delete state.customerId;
    delete state.streamSeq;
    save();
    stopStream();
    bootPromise = null;
  }

  // ---- conversation and messages --------------------------------------------------------------

  let conv = null; // the current Conversation, as last seen
  let msgSeq = 0; // highest message seq rendered for the current conversation
  const byID = new Map(); // message id → element
  const pending = new Map(); // client_id → element, for messages not yet echoed by the server

  function resetConversation() {
    if (state.conversationId) {
      delete state.conversationId;
      save();
    }
    conv = null;
    msgSeq = 0;
    setStatus(null);
  }

  function adopt(c) {
    if (!c || !c.id) return;
    if (state.conversationId !== c.id) {
      state.conversationId = c.id;
      msgSeq = 0;
      save();
    }
    setConv(c);
  }

  function scrollDown(force) {
    const near = logEl.scrollHeight - logEl.scrollTop - logEl.clientHeight < 120;
    if (force || near) logEl.scrollTop = logEl.scrollHeight;
  }

  function note(text) {
    logEl.append(h('div', { class: 'note' }, text));
    scrollDown(true);
  }

  function safeURL(u) {
    try {
      const url = new URL(u, origin);
      return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function messageElement(kind, label, body, createdAt) {
    const el = h('div', { class: 'msg ' + kind });
    if (label) el.append(h('div', { class: 'who' }, label));
    el.append(h('div', { class: 'body', title: timeOf(createdAt) }, body));
    return el;
  }

  function buildMessage(m) {
    const kind = ['customer', 'assistant', 'agent', 'system'].includes(m.author_kind) ? m.author_kind : 'system';
    let label = null;
    if (kind === 'assistant') label = m.author_name || `${cfg.title} assistant`;
    if (kind === 'agent') label = m.author_name || 'Support agent';
    const el = messageElement(kind, label, m.body || '', m.created_at);
    addCitation(el, m);
    addFeedback(el, m);
    return el;
  }

  function addCitation(el, m) {
    const c = m.citation;
    if (!c || !c.title || el.querySelector('.source')) return;
    const href = c.url ? safeURL(c.url) : null;
    const src = h('div', { class: 'source' }, 'Source: ');
    src.append(href ? h('a', { href, target: '_blank', rel: 'noopener noreferrer' }, c.title) : c.title);
    el.append(src);
  }

  // "Did this answer your question?" under the assistant's latest answer (one with a source):
  // yes resolves the conversation, no brings in a person at once.
  function addFeedback(el, m) {
    if (m.author_kind !== 'assistant' || !m.citation || el.querySelector('.feedback')) return;
    const yes = h('button', { type: 'button', class: 'fb-yes' }, 'Yes');
    const no = h('button', { type: 'button', class: 'fb-no' }, 'No');
    const box = h('div', { class: 'feedback', role: 'group', 'aria-label': 'Did this answer your question?' },
      h('span', { class: 'fb-q' }, 'Did this answer your question?'), yes, no);
    const send = async (helpful) => {
      yes.disabled = no.disabled = true;
      try {
        const c = await call('POST', `/conversations/${m.conversation_id}/feedback`, { helpful, message_id: m.id });
        box.remove();
        if (helpful) note('Thanks — glad that helped!');
        if (c && c.id === state.conversationId) setConv(c);
      } catch (e) {
        yes.disabled = no.disabled = false;
        if (e.status === 409) box.remove();
      }
    };
    yes.addEventListener('click', () => send(true));
    no.addEventListener('click', () => send(false));
    el.append(box);
  }

  // pruneFeedback keeps the question only under the newest message, while the assistant holds
  // the conversation.
  function pruneFeedback() {
    const boxes = logEl.querySelectorAll('.feedback');
    if (!boxes.length) return;
    let newest = null;
    for (const el of logEl.querySelectorAll('.msg')) {
      if (el.classList.contains('pending')) {
        newest = null;
        break;
      }
      if (el.dataset.seq && (!newest || Number(el.dataset.seq) > Number(newest.dataset.seq))) newest = el;
    }
    const open = !conv || (conv.status === 'ai' && conv.ask_feedback !== false);
    for (const b of boxes) if (!open || !newest || !newest.contains(b)) b.remove();
  }

  // place puts a server message in seq order; local pending messages stay last. Notes (status
  // lines) are not reordered past.
  function place(el, seq) {
    if (el.isConnected) el.remove();
    let ref = null;
    let cur = logEl.lastElementChild;
    while (cur && (cur.classList.contains('pending') || (cur.dataset.seq && Number(cur.dataset.seq) > seq))) {
      ref = cur;
      cur = cur.previousElementSibling;
    }
    logEl.insertBefore(el, ref);
  }

  // render shows one server message of the current conversation exactly once.
  function render(m, live) {
    if (!m || m.internal || m.conversation_id !== state.conversationId) return;
    if (typeof m.seq === 'number' && m.seq > msgSeq) msgSeq = m.seq;
    if (byID.has(m.id)) return;
    let el = m.client_id ? pending.get(m.client_id) : null;
    if (el) {
      pending.delete(m.client_id);
      el.classList.remove('pending', 'failed');
      const st = el.querySelector('.state');
      if (st) st.remove();
      // Only move it if the server ordered it before something already shown.
      const prev = el.previousElementSibling;
      const next = el.nextElementSibling;
      el.dataset.id = m.id;
      el.dataset.seq = m.seq;
      const prevOK = !prev || !prev.dataset.seq || Number(prev.dataset.seq) < m.seq;
      const nextOK = !next || next.classList.contains('pending') || !next.dataset.seq || Number(next.dataset.seq) > m.seq;
      if (!prevOK || !nextOK) place(el, m.seq);
    } else {
      el = buildMessage(m);
      el.dataset.id = m.id;
      el.dataset.seq = m.seq;
      place(el, m.seq);
      if (live && !isOpen && m.author_kind !== 'customer') setUnread(unread + 1);
    }
    byID.set(m.id, el);
    pruneFeedback();
    scrollDown(m.author_kind === 'customer');
  }

  let fillPromise = null;
  // fillGap fetches every message after the last one shown: on (re)connect and after creating the
  // conversation, so nothing missed while offline stays missing.
  function fillGap() {
    if (!fillPromise) {
      fillPromise = (async () => {
        const id = state.conversationId;
        while (id && id === state.conversationId) {
          const r = await call('GET', `/conversations/${id}/messages?after=${msgSeq}&limit=${PAGE}`);
          const list = (r && r.messages) || [];
          for (const m of list) render(m, false);
          if (list.length < PAGE) break;
        }
      })().finally(() => {
        fillPromise = null;
      });
    }
    return fillPromise;
  }

  async function refreshConversation() {
    const id = state.conversationId;
    if (!id) return;
    try {
      const c = await call('GET', `/conversations/${id}`);
      if (id === state.conversationId) setConv(c);
    } catch (e) {
      if (e.status === 404) resetConversation();
    }
  }

  // ---- status line and queue polling -------------------------------------------------------

  let queueTimer = null;

  function setStatus(text, kind) {
    statusEl.textContent = text || '';
    statusEl.hidden = !text;
    statusEl.className = 'status' + (kind ? ' ' + kind : '');
  }

  function setConv(c) {
    conv = c;
    pruneFeedback();
    const s = c.status;
    if (s === 'queued') {
      const q = c.queue;
      if (q && q.agents_online === 0) {
        const also = c.follow_up_email ? ` We'll also email you at ${c.follow_up_email}.` : '';
        setStatus(`Nobody is online right now who can help. You're number ${q.position || 1} in line, and we'll answer here as soon as someone is — you can leave this page and come back.${also}`, 'waiting');
      } else if (q && q.position) {
        const secs = q.expected_wait_seconds || 0;
        const wait = secs < 60 ? 'under a minute' : `about ${Math.round(secs / 60)} min`;
        setStatus(`You're number ${q.position} in line — expected wait ${wait}`, 'waiting');
      } else {
        setStatus('Connecting you with a person…', 'waiting');
      }
    } else if (s === 'assigned') {
      setStatus(c.assignee_name ? `You're chatting with ${c.assignee_name}` : "You're chatting with our team", 'live');
    } else if (s === 'resolved' || s === 'closed') {
      setStatus('Resolved — send a message if you need anything else.', 'done');
    } else {
      setStatus(null);
    }
    followEl.hidden = !(s === 'queued' && c.queue && c.queue.agents_online === 0 && !c.follow_up_email);
    // The stream says where the customer stands (conversation.queue_updated); this is a fallback.
    if (s === 'queued' && !queueTimer) {
      queueTimer = setInterval(refreshConversation, 30000);
    } else if (s !== 'queued' && queueTimer) {
      clearInterval(queueTimer);
      queueTimer = null;
    }
  }

  followEl.addEventListener('submit', async (e) => {
    e.preventDefault();
    const email = followEmail.value.trim();
    const id = state.conversationId;
    if (!email || !id) return;
    followBtn.disabled = true;
    try {
      const c = await call('POST', `/conversations/${id}/follow-up`, { email });
      if (c && c.id === state.conversationId) setConv(c);
      fillGap().catch(() => {});
    } catch (err) {
      note(err.status === 400 ? 'Please check the email address.' : "We couldn't save your email just now. Please try again.");
    } finally {
      followBtn.disabled = false;
    }
  });

  // ---- sending: an ordered outbox, retried with the same client_id -------------------------

  const outbox = [];
  let draining = false;
  let wake = null; // resolves the current retry wait early

  function sleep(ms) {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
  function retryNow() {
    if (wake) wake();
  }
  window.addEventListener('online', retryNow);

  function sendMessage(body) {
    const clientID = uuid();
    const el = messageElement('customer pending', null, body, null);
    el.append(h('div', { class: 'state' }, 'Sending…'));
    el.addEventListener('click', () => {
      if (el.classList.contains('failed')) retryNow();
    });
    pending.set(clientID, el);
    logEl.append(el);
    scrollDown(true);
    enqueue({ type: 'message', clientID, body, el });
  }

  function enqueue(job) {
    outbox.push(job);
    drain();
  }

  async function drain() {
    if (draining) return;
    draining = true;
    try {
      while (outbox.length) {
        const job = outbox[0];
        for (let attempt = 0; ; attempt++) {
          try {
            await run(job);
            break;
          } catch (e) {
            if (!retryable(e)) {
              failJob(job, e);
              break;
            }
            if (attempt >= 2) markRetrying(job);
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

  function markRetrying(job) {
    if (job.type !== 'message' || !pending.has(job.clientID)) return;
    job.el.classList.add('failed');
    const st = job.el.querySelector('.state');
    if (st) st.textContent = 'Not sent yet — retrying. Tap to retry now.';
  }

  function failJob(job, e) {
    if (job.type === 'message') {
      if (!pending.has(job.clientID)) return;
      pending.delete(job.clientID);
      job.el.classList.remove('pending');
      job.el.classList.add('failed');
      const st = job.el.querySelector('.state');
      if (st) st.textContent = e.status === 413 ? 'Too long to send.' : "Couldn't send this message.";
    } else {
      humanBtn.disabled = false;
      note("We couldn't reach a person just now. Please try again.");
    }
  }

  async function run(job) {
    await ensureSession();
    startStream();
    if (job.type === 'message') {
      if (!pending.has(job.clientID)) return; // already echoed by the stream
      if (!state.conversationId) {
        const c = await call('POST', '/conversations', { message: { client_id: job.clientID, body: job.body } });
        adopt(c);
        await fillGap().catch(() => {});
        return;
      }
      try {
        const m = await call('POST', `/conversations/${state.conversationId}/messages`, { client_id: job.clientID, body: job.body });
        render(m, false);
      } catch (e) {
        // The conversation is gone or can no longer take messages: start a new one with this message.
        if (e.status === 404 || e.status === 409) {
          resetConversation();
          note('New conversation');
          return run(job);
        }
        throw e;
      }
    } else if (job.type === 'handoff') {
      try {
        if (!state.conversationId) return; // the first message could not be sent
        const c = await call('POST', `/conversations/${state.conversationId}/handoff`, { reason: HANDOFF_REASON });
        setConv(c);
      } finally {
        humanBtn.disabled = false;
      }
    }
  }

  function talkToPerson() {
    if (conv && (conv.status === 'queued' || conv.status === 'assigned')) {
      refreshConversation();
      input.focus();
      return;
    }
    humanBtn.disabled = true;
    if (!state.conversationId && !outbox.some((j) => j.type === 'message')) sendMessage(HANDOFF_BODY);
    setStatus('Connecting you with a person…', 'waiting');
    enqueue({ type: 'handoff' });
    input.focus();
  }
  humanBtn.addEventListener('click', talkToPerson);

  composer.addEventListener('submit', (e) => {
    e.preventDefault();
    const body = input.value.trim();
    if (!body) return;
    input.value = '';
    autosize();
    sendMessage(body);
    input.focus();
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      composer.requestSubmit ? composer.requestSubmit() : composer.dispatchEvent(new Event('submit', { cancelable: true }));
    }
  });
  function autosize() {
    input.style.height = 'auto';
    input.style.height = Math.min(input.scrollHeight, 120) + 'px';
  }
  input.addEventListener('input', autosize);

  // ---- the stream ---------------------------------------------------------------------------

  let ws = null;
  let wsTimer = null;
  let wsAttempt = 0;
  let wsWanted = false;

  function startStream() {
    wsWanted = true;
    if (ws || wsTimer || !state.token) return;
    connect();
  }

  function stopStream() {
    wsWanted = false;
    clearTimeout(wsTimer);
    wsTimer = null;
    if (ws) {
      const s = ws;
      ws = null;
      s.close();
    }
  }

  function connect() {
    wsTimer = null;
    if (!wsWanted || !state.token) return;
    let url = streamURL + '?token=' + encodeURIComponent(state.token);
    if (typeof state.streamSeq === 'number') url += '&after=' + state.streamSeq;
    let opened = false;
    let sock;
    try {
      sock = new WebSocket(url);
    } catch (e) {
      reconnectLater(false);
      return;
    }
    ws = sock;
    sock.addEventListener('open', () => {
      opened = true;
      wsAttempt = 0;
    });
    sock.addEventListener('message', (e) => {
      let ev;
      try {
        ev = JSON.parse(e.data);
      } catch (err) {
        return;
      }
      if (ws === sock) onEvent(ev);
    });
    sock.addEventListener('close', () => {
      if (ws !== sock) return;
      ws = null;
      reconnectLater(opened);
    });
  }

  function reconnectLater(opened) {
    if (!wsWanted) return;
    const delay = Math.min(15000, 1000 * 2 ** wsAttempt) * (0.8 + Math.random() * 0.4);
    wsAttempt++;
    wsTimer = setTimeout(async () => {
      // A stream that never opens may mean the token expired: a REST call tells (401 forgets it).
      if (!opened && wsAttempt >= 3 && wsAttempt % 3 === 0) {
        await call('GET', '/conversations').catch(() => {});
        if (!state.token) {
          wsTimer = null;
          return;
        }
      }
      connect();
    }, delay);
  }

  function resync() {
    fillGap().catch(() => {});
    refreshConversation();
  }

  function onEvent(ev) {
    if (!ev || typeof ev.type !== 'string') return;
    if (ev.type === 'ready') {
      if (typeof ev.seq === 'number') {
        state.streamSeq = ev.seq;
        save();
      }
      resync();
      return;
    }
    // Remember where to resume. Not used to drop events: rendering is idempotent (messages are
    // deduplicated by id), and a server whose log restarted must not be ignored.
    if (typeof ev.seq === 'number') {
      state.streamSeq = ev.seq;
      save();
    }
    const data = ev.data || {};
    const convID = ev.conversation_id || data.conversation_id || (ev.type.startsWith('conversation.') ? data.id : null);

    if (ev.type === 'conversation.created' && !state.conversationId && data.customer_id === state.customerId) {
      adopt(data);
      fillGap().catch(() => {});
      return;
    }
    if (!convID || convID !== state.conversationId) return;

    if (ev.type === 'message.created') {
      render(data, true);
      return;
    }
    if (ev.type === 'conversation.queue_updated') {
      // Where the customer stands now: no need to ask the server again.
      if (conv && conv.id === convID && conv.status === 'queued' && data.queue) setConv(Object.assign({}, conv, { queue: data.queue }));
      return;
    }
    if (ev.type.startsWith('conversation.')) {
      if (data.id === convID && data.status) setConv(data);
      if (ev.type === 'conversation.assigned') {
        note(`${data.assignee_name || 'Someone from our team'} joined the conversation`);
      } else if (ev.type === 'conversation.resolved') {
        note('This conversation was resolved');
      }
      refreshConversation();
    }
  }

  // ---- start --------------------------------------------------------------------------------

  let bootPromise = null;

  function boot() {
    if (!bootPromise) {
      bootPromise = (async () => {
        await ensureSession();
        startStream();
        if (state.conversationId) {
          await refreshConversation();
          await fillGap();
        }
      })().catch((e) => {
        bootPromise = null;
        if (isOpen && !statusEl.textContent) setStatus("We can't connect right now. We'll keep trying.", 'error');
        setTimeout(() => {
          if (statusEl.classList.contains('error')) setStatus(null);
          if (isOpen || state.conversationId) boot().catch(() => {});
        }, 5000);
        throw e;
      });
    }
    return bootPromise;
  }

  // A returning visitor with a conversation gets it (and live replies, with an unread badge)
  // before opening the panel; everyone else connects on first open.
  if (state.token && state.conversationId) boot().catch(() => {});
})();
