/*
 * people.js is the people page (/admin/people) for admins and supervisors:
 * invite, roles, deactivation, skills as chips; sign-up and applicants;
 * training modules; open shifts; pay policy, ledger adjustments, payouts
 * and pay periods. Admin-only parts answer 403 to supervisors, shown as such.
 */
(function () {
  'use strict';
  const W = window.Workforce;
  const byId = (id) => document.getElementById(id);
  let api, me, currency = 'EUR';
  const list = (s) => s.split(/[\s,]+/).map((x) => x.trim().toLowerCase()).filter(Boolean);
  const guard = (p) => p.catch((e) => W.notice(e.message, true));

  async function loadPeople() {
    const [r, scores] = await Promise.all([api('GET', '/agents'), api('GET', '/scores').catch(() => ({ scores: [] }))]);
    const byAgent = Object.fromEntries(scores.scores.map((s) => [s.agent_id, s]));
    const rows = byId('people-rows');
    rows.replaceChildren();
    const sel = byId('adj-agent');
    sel.replaceChildren();
    for (const a of r.agents) {
      const role = W.el('select', { 'aria-label': 'Role of ' + a.name, disabled: me.role !== 'admin' || a.id === me.id },
        ...['agent', 'supervisor', 'admin'].map((x) => W.el('option', { selected: x === a.role }, x)));
      role.addEventListener('change', () => guard(api('PUT', '/agents/' + a.id + '/role', { role: role.value }).then(() => W.notice('Role changed.'))));
      const chips = W.el('span', { class: 'chips' }, ...(a.skills || []).map((s) => W.el('span', { class: 'chip' }, s.name)),
        ...(a.languages || []).map((l) => W.el('span', { class: 'chip' }, l)));
      const sc = byAgent[a.id];
      const gone = !!a.deactivated_at;
      const action = a.id === me.id ? null : W.el('button', { type: 'button', class: gone ? 'secondary small' : 'danger small', onclick: () => {
        if (!gone && !confirm('Deactivate ' + a.name + '? They are signed out and their conversations go back to the queue.')) return;
        guard(api('POST', '/agents/' + a.id + (gone ? '/reactivate' : '/deactivate')).then(loadPeople));
      } }, gone ? 'Reactivate' : 'Deactivate');
      rows.append(W.el('tr', {}, W.el('td', {}, a.name), W.el('td', {}, a.email), W.el('td', {}, role), W.el('td', {}, chips),
        W.el('td', {}, sc ? Math.round(sc.score * 100) + ' % · ' + sc.tier : '–'),
        W.el('td', {}, gone ? 'deactivated' : a.status + (a.capacity === 1 ? ' · capacity 1' : '')), W.el('td', {}, action)));
      if (!gone) sel.append(W.el('option', { value: a.id }, a.name));
    }
  }

  byId('invite-form').addEventListener('submit', (e) => {
    e.preventDefault();
    guard(api('POST', '/invitations', {
      email: byId('invite-email').value.trim(), role: byId('invite-role').value,
      skills: list(byId('invite-skills').value), languages: list(byId('invite-languages').value),
    }).then((r) => {
      const p = byId('invite-link');
      p.textContent = 'Send this one-time link to ' + r.invitation.email + ': ' + r.link;
      p.hidden = false;
      e.target.reset();
    }));
  });

  async function loadApplicants() {
    const js = await api('GET', '/join-settings').catch(() => null);
    if (js) {
      byId('join-open').checked = js.open;
      byId('join-auto').checked = js.auto_accept;
      byId('join-questions').value = js.questions.join('\n');
      byId('join-link').textContent = js.path;
      byId('join-link').href = js.path;
    }
    const r = await api('GET', '/applicants');
    const rows = byId('apps-rows');
    rows.replaceChildren();
    for (const ap of r.applicants) {
      const decide = (accept) => guard(api('POST', '/applicants/' + ap.agent_id + (accept ? '/accept' : '/reject')).then(() => { loadApplicants(); loadPeople(); }));
      rows.append(W.el('tr', {}, W.el('td', {}, ap.name + ' ', W.el('span', { class: 'muted' }, ap.email)),
        W.el('td', {}, W.el('span', { class: 'chips' }, ...ap.languages.map((l) => W.el('span', { class: 'chip' }, l)))),
        W.el('td', {}, [ap.motivation, ...ap.answers].filter(Boolean).join(' · ')),
        W.el('td', {}, ap.trained ? 'yes' : 'no'), W.el('td', {}, ap.status),
        W.el('td', {}, ap.status === 'pending' ? W.el('span', {},
          W.el('button', { type: 'button', class: 'primary small', onclick: () => decide(true) }, 'Accept'), ' ',
          W.el('button', { type: 'button', class: 'danger small', onclick: () => decide(false) }, 'Reject')) : null)));
    }
    byId('apps-empty').hidden = r.applicants.length > 0;
  }

  byId('join-form').addEventListener('submit', (e) => {
    e.preventDefault();
    guard(api('PUT', '/join-settings', {
      open: byId('join-open').checked, auto_accept: byId('join-auto').checked,
      questions: byId('join-questions').value.split('\n').map((x) => x.trim()).filter(Boolean),
    }).then(() => W.notice('Sign-up settings saved.')));
  });

  async function loadModules() {
    const r = await api('GET', '/training/modules');
    byId('modules').replaceChildren(...r.modules.map((m) => W.el('li', {}, W.el('strong', {}, m.title),
      W.el('span', { class: 'muted small' }, m.certifies + ' · ' + m.questions.length + ' questions · pass ' + Math.round(m.pass_mark * 100) + ' %'))));
  }

  // parseQuiz reads blocks: a question line, then choice lines; "*" marks right ones.
  function parseQuiz(text) {
    return text.split(/\n\s*\n/).map((b) => b.split('\n').map((l) => l.trim()).filter(Boolean)).filter((b) => b.length).map((b) => ({
      text: b[0], choices: b.slice(1).map((c) => c.replace(/^\*\s*/, '')),
      correct: b.slice(1).map((c, i) => (c.startsWith('*') ? i : -1)).filter((i) => i >= 0),
    }));
  }

  byId('module-form').addEventListener('submit', (e) => {
    e.preventDefault();
    guard(api('POST', '/training/modules', {
      title: byId('mod-title').value.trim(), body: byId('mod-body').value, certifies: byId('mod-certifies').value.trim(),
      questions: parseQuiz(byId('mod-quiz').value), pass_mark: Number(byId('mod-pass').value),
      retake_after_seconds: Number(byId('mod-retake').value) * 60, valid_for_days: Number(byId('mod-valid').value),
    }).then(() => { W.notice('Module added.'); e.target.reset(); loadModules(); }));
  });

  async function loadShifts() {
    const r = await api('GET', '/shifts');
    byId('shift-rows').replaceChildren(...r.shifts.map((s) => W.el('tr', {}, W.el('td', {}, W.when(s.starts_at)),
      W.el('td', {}, s.booked + ' / ' + s.headcount), W.el('td', {}, '×' + s.multiplier_percent / 100))));
  }

  byId('shift-form').addEventListener('submit', (e) => {
    e.preventDefault();
    guard(api('POST', '/shifts', {
      starts_at: new Date(byId('shift-start').value).toISOString(), slots: Number(byId('shift-slots').value),
      headcount: Number(byId('shift-head').value), multiplier: Number(byId('shift-mult').value),
    }).then(() => { W.notice('Slots opened.'); loadShifts(); }));
  });

  async function loadPay() {
    const p = await api('GET', '/pay-policy').catch(() => null);
    if (!p) return;
    currency = p.currency;
    byId('pay-currency').value = p.currency;
    byId('pay-resolved').value = p.per_resolved;
    byId('pay-minute').value = p.per_minute;
    const q = p.quality_bonus;
    byId('bonus-amount').value = q ? q.amount : 0;
    if (q) {
      byId('bonus-csat').value = q.csat_at_least;
      byId('bonus-min').value = q.min_ratings;
    }
    byId('pay-surge').value = p.surge.map((r) => (r.queue_at_least ? 'queue ' + r.queue_at_least : 'wait ' + r.wait_at_least_seconds) + ' ×' + r.multiplier).join('\n');
  }

  byId('pay-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const surge = byId('pay-surge').value.split('\n').map((l) => l.match(/^(queue|wait)\s+(\d+)\s+[×x*]?\s*([\d.]+)$/i)).filter(Boolean)
      .map((m) => (m[1].toLowerCase() === 'queue' ? { queue_at_least: Number(m[2]), multiplier: Number(m[3]) } : { wait_at_least_seconds: Number(m[2]), multiplier: Number(m[3]) }));
    guard(api('PUT', '/pay-policy', {
      currency: byId('pay-currency').value.trim().toUpperCase(), per_resolved: Number(byId('pay-resolved').value),
      per_minute: Number(byId('pay-minute').value), surge,
      quality_bonus: Number(byId('bonus-amount').value) > 0 ? {
        amount: Number(byId('bonus-amount').value), csat_at_least: Number(byId('bonus-csat').value), min_ratings: Number(byId('bonus-min').value),
      } : undefined,
    }).then(() => { W.notice('Pay policy saved.'); loadPay(); }));
  });

  byId('adjust-form').addEventListener('submit', (e) => {
    e.preventDefault();
    guard(api('POST', '/ledger/adjustments', {
      agent_id: Number(byId('adj-agent').value), kind: byId('adj-kind').value,
      amount: Number(byId('adj-amount').value), reason: byId('adj-reason').value.trim(),
    }).then(() => { W.notice('Added to the ledger.'); e.target.reset(); loadPayouts(); }));
  });

  async function loadPayouts() {
    const period = byId('period').value;
    const r = await api('GET', '/payouts' + (period ? '?period=' + period : ''));
    byId('period').value = r.period;
    byId('period-state').textContent = (r.closed ? 'Closed on ' + W.when(r.closed.closed_at) + '. ' : 'Open. ') + 'Total ' + W.money(r.total, r.currency || currency) + '.';
    byId('payout-rows').replaceChildren(...r.payouts.map((p) => W.el('tr', {}, W.el('td', {}, p.name),
      ...[p.base, p.surge, p.bonus, p.adjustment, p.total].map((v) => W.el('td', { class: 'num' }, W.money(v, r.currency))))));
  }

  byId('period-form').addEventListener('submit', (e) => { e.preventDefault(); guard(loadPayouts()); });
  byId('period-close').addEventListener('click', () => {
    const period = byId('period').value;
    if (!period || !confirm('Close pay period ' + period + '?')) return;
    guard(api('POST', '/pay-periods/' + period + '/close').then(() => { W.notice('Period closed.'); loadPayouts(); }));
  });
  byId('period-csv').addEventListener('click', async () => {
    // Fetched with the bearer token (a plain link would carry no credentials).
    const res = await fetch('/api/v1/payouts?format=csv&period=' + encodeURIComponent(byId('period').value), {
      headers: { Authorization: 'Bearer ' + sessionStorage.getItem('tandem.agent.token') },
    });
    if (!res.ok) return W.notice('The export failed (' + res.status + ').', true);
    const a = W.el('a', { href: URL.createObjectURL(await res.blob()), download: 'payouts-' + byId('period').value + '.csv' });
    document.body.append(a);
    a.click();
    a.remove();
  });

  api = W.session((client, who) => {
    me = who;
    if (who.role === 'agent') {
      byId('denied').hidden = false;
      return;
    }
    for (const f of [loadPeople, loadApplicants, loadModules, loadShifts, loadPay, loadPayouts]) guard(f());
  });
})();
