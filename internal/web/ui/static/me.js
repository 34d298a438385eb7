/*
 * me.js is an agent's own space (/agent/me): status and how busy it is now
 * (queue, wait, surge), booked and open slots, earnings, training with
 * quizzes, and their rating — one page a part-time person reads at a glance.
 */
(function () {
  'use strict';
  const W = window.Workforce;
  const byId = (id) => document.getElementById(id);
  let api, currency = 'EUR';

  function pct(v) {
    return v == null ? '–' : Math.round(v * 100) + ' %';
  }

  async function loadNow() {
    const me = await api('GET', '/agents/me');
    byId('my-status').textContent = me.status;
    const o = await api('GET', '/agents/me/outlook');
    byId('now-queued').textContent = o.queued;
    byId('now-wait').textContent = o.oldest_wait_seconds ? Math.round(o.oldest_wait_seconds / 60) + ' min' : '–';
    byId('now-surge').textContent = '×' + o.surge_multiplier;
    byId('now-surge').classList.toggle('surge', o.surge_multiplier > 1);
    if (o.currency) currency = o.currency;
    byId('earn-rate').textContent = o.currency ? W.money(o.per_resolved, o.currency) : '–';
  }

  async function loadHours() {
    const r = await api('GET', '/shifts');
    const booked = byId('booked'), open = byId('open-slots');
    booked.replaceChildren();
    open.replaceChildren();
    const now = Date.now();
    for (const s of r.shifts) {
      const label = W.when(s.starts_at) + ' – ' + new Date(s.ends_at).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
      const mult = s.multiplier_percent > 100 ? W.el('span', { class: 'surge' }, '×' + s.multiplier_percent / 100) : null;
      if (s.booked_by_me) {
        const canRelease = new Date(s.release_by).getTime() > now;
        booked.append(W.el('li', {}, label, mult, W.el('span', { class: 'spacer' }),
          canRelease ? W.el('button', { type: 'button', class: 'ghost small', onclick: () => act('DELETE', s.id) }, 'Release') :
            W.el('span', { class: 'muted small' }, 'past the release deadline')));
      } else if (s.booked < s.headcount && new Date(s.ends_at).getTime() > now) {
        const opens = new Date(s.bookable_at).getTime();
        open.append(W.el('li', {}, label, mult, W.el('span', { class: 'muted small' }, (s.headcount - s.booked) + ' of ' + s.headcount + ' free'),
          W.el('span', { class: 'spacer' }),
          opens > now ? W.el('span', { class: 'muted small' }, 'opens to you ' + W.when(s.bookable_at)) :
            W.el('button', { type: 'button', class: 'secondary small', onclick: () => act('POST', s.id) }, 'Book')));
      }
    }
    byId('booked-empty').hidden = booked.children.length > 0;
    byId('open-empty').hidden = open.children.length > 0;
  }

  async function act(method, id) {
    try {
      await api(method, '/shifts/' + id + '/booking');
      W.notice(method === 'POST' ? 'Slot booked.' : 'Slot released.');
    } catch (e) {
      W.notice(e.message, true);
    }
    loadHours();
  }

  async function loadEarnings() {
    const now = new Date();
    const e = await api('GET', '/agents/me/earnings');
    const cur = e.currency || currency;
    const dayStart = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
    let today = 0;
    const rows = byId('earn-rows');
    rows.replaceChildren();
    for (const x of e.entries.slice().reverse()) {
      if (new Date(x.created_at).getTime() >= dayStart) today += x.amount;
      const what = x.kind === 'surge' ? W.el('span', { class: 'surge' }, 'surge ×' + x.multiplier_percent / 100) :
        x.kind + (x.reason ? ' — ' + x.reason : '');
      rows.append(W.el('tr', {}, W.el('td', {}, W.when(x.created_at)), W.el('td', {}, what),
        W.el('td', {}, x.conversation_id ? '#' + x.conversation_id : ''), W.el('td', { class: 'num' }, W.money(x.amount, cur))));
    }
    byId('earn-today').textContent = W.money(today, cur);
    byId('earn-period').textContent = W.money(e.total, cur);
    byId('earn-empty').hidden = e.entries.length > 0;
  }

  async function loadTraining() {
    const r = await api('GET', '/training/modules');
    const list = byId('modules');
    list.replaceChildren();
    for (const m of r.modules) {
      const state = m.passed ? 'passed' + (m.expires_at ? ', valid until ' + W.when(m.expires_at) : '') :
        m.last_score != null ? 'last score ' + pct(m.last_score) + (m.retake_at ? ', retake from ' + W.when(m.retake_at) : '') : 'not taken';
      list.append(W.el('li', {}, W.el('strong', {}, m.title), W.el('span', { class: 'muted small' }, m.certifies === 'workspace' ? 'certifies this workspace' : m.certifies),
        W.el('span', { class: 'spacer' }), W.el('span', { class: m.passed ? 'pill' : 'muted small' }, state),
        W.el('button', { type: 'button', class: 'secondary small', onclick: () => openModule(m) }, m.passed ? 'Review' : 'Start')));
    }
    byId('modules-empty').hidden = r.modules.length > 0;
  }

  function openModule(m) {
    byId('module').hidden = false;
    byId('module-title').textContent = m.title;
    byId('module-body').replaceChildren(W.markdown(m.body));
    byId('quiz-result').textContent = '';
    const quiz = byId('quiz');
    quiz.replaceChildren();
    m.questions.forEach((q, i) => {
      const fs = W.el('fieldset', {}, W.el('legend', {}, (i + 1) + '. ' + q.text));
      q.choices.forEach((c, j) => fs.append(W.el('label', {}, W.el('input', { type: 'checkbox', name: 'q' + i, value: j }), ' ' + c)));
      quiz.append(fs);
    });
    quiz.append(W.el('p', { class: 'muted small' }, 'Tick every right answer. Pass mark: ' + pct(m.pass_mark) + '.'),
      W.el('button', { type: 'submit', class: 'primary' }, 'Submit answers'));
    quiz.onsubmit = async (e) => {
      e.preventDefault();
      const answers = m.questions.map((_, i) => [...quiz.querySelectorAll('input[name=q' + i + ']:checked')].map((x) => Number(x.value)));
      try {
        const res = await api('POST', '/training/modules/' + m.id + '/attempts', { answers });
        byId('quiz-result').textContent = res.passed ? 'Passed with ' + pct(res.score) + '!' + (res.grants ? ' You are certified.' : ' An admin will review your application.') :
          'Score ' + pct(res.score) + ' — not passed.' + (res.retake_at ? ' You may retake it from ' + W.when(res.retake_at) + '.' : '');
      } catch (ex) {
        byId('quiz-result').textContent = ex.message;
      }
      loadTraining();
      loadNow();
    };
    byId('module').scrollIntoView(); // at once: a page still scrolling moves what one clicks
  }

  async function loadScore() {
    const s = await api('GET', '/agents/me/score');
    byId('score').textContent = pct(s.score);
    byId('tier').textContent = s.tier;
    byId('part-csat').textContent = s.parts.csat == null ? '–' : (1 + s.parts.csat * 4).toFixed(2) + ' / 5 (' + s.parts.ratings + ')';
    byId('part-acceptance').textContent = pct(s.parts.acceptance);
    byId('part-adherence').textContent = pct(s.parts.adherence);
    byId('floor').textContent = pct(s.floor);
    byId('suspended').textContent = s.suspended || '';
    byId('suspended').hidden = !s.suspended;
    const h = byId('score-history');
    h.replaceChildren(...s.history.map((p) => {
      const li = W.el('li', { title: W.when(p.at) + ': ' + pct(p.score) + ' (' + p.tier + ')' });
      li.style.height = Math.max(4, p.score * 60) + 'px'; // CSSOM, which the page's CSP allows
      return li;
    }));
  }

  function loadAll() {
    for (const f of [loadNow, loadHours, loadEarnings, loadTraining, loadScore]) {
      f().catch((e) => W.notice(e.message, true));
    }
  }

  document.querySelectorAll('[data-status]').forEach((b) => b.addEventListener('click', async () => {
    try {
      await api('PUT', '/agents/me/status', { status: b.dataset.status });
    } catch (e) {
      W.notice(e.message, true);
    }
    loadNow();
  }));

  api = W.session(() => {
    loadAll();
    setInterval(() => loadNow().catch(() => {}), 15000);
  });
})();
