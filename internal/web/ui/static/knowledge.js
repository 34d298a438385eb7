/*
 * Tandem knowledge-base editor: list, search, create, edit and delete the workspace's help
 * articles. Staff can read; admins can change. Talks to /api/v1/articles with the Bearer token the
 * agent console keeps in sessionStorage (or the session cookie). User-provided text is only ever
 * inserted with textContent / text nodes.
 */
(() => {
  'use strict';

  const TOKEN_KEY = 'tandem.agent.token';
  const $ = (id) => document.getElementById(id);

  function h(tag, props, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v == null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of kids) if (c != null && c !== false) el.append(c);
    return el;
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
      /* in memory only */
    }
  }

  let token = storageGet(TOKEN_KEY);

  function api(method, path, body) {
    return TandemConsole.request({ token, onUnauthorized: () => showLogin('Please sign in.') }, method, path, body);
  }


  let noticeTimer = null;
  function notice(text, kind) {
    const el = $('notice');
    el.textContent = text;
    el.className = 'notice' + (kind ? ' ' + kind : '');
    el.hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => (el.hidden = true), 5000);
  }

  // ---- sign in ----------------------------------------------------------------------------------

  let me = null;

  function showLogin(message) {
    token = null;
    storageSet(TOKEN_KEY, null);
    $('app').hidden = true;
    $('login-view').hidden = false;
    const err = $('login-error');
    err.textContent = message || '';
    err.hidden = !message;
  }

  TandemConsole.bindLogin(api, (r) => {
    token = r.token;
    storageSet(TOKEN_KEY, token);
    start(r.agent);
  });

  function start(agent) {
    me = agent;
    $('me').textContent = `${agent.name} (${agent.role})`;
    $('login-view').hidden = true;
    $('app').hidden = false;
    $('kb-new').hidden = agent.role !== 'admin';
    loadIntents();
    loadList();
  }

  // ---- the list -----------------------------------------------------------------------------------

  let articles = [];
  let selected = null; // the article being edited, or {} for a new one

  async function loadList() {
    const q = $('kb-q').value.trim();
    const lang = $('kb-lang').value;
    const params = new URLSearchParams();
    if (q) params.set('q', q);
    if (lang) params.set('language', lang);
    try {
      const r = await api('GET', '/articles?' + params.toString());
      articles = (r && r.articles) || [];
      renderList(q);
    } catch (e) {
      if (e.status !== 401) notice("Couldn't load the articles: " + e.message, 'error');
    }
  }

  function renderList(q) {
    $('kb-count').textContent = q ? `${articles.length} match(es), best first` : `${articles.length} article(s)`;
    $('kb-articles').replaceChildren(
      ...articles.map((a) =>
        h(
          'li',
          {},
          h(
            'button',
            { type: 'button', class: selected && selected.id === a.id ? 'active' : '', onclick: () => edit(a.id) },
            h('span', { class: 't' + (a.published ? '' : ' draft') }, a.title + (a.published ? '' : ' (draft)')),
            h('span', { class: 'chip' }, a.language),
          ),
        ),
      ),
    );
  }

  let searchTimer = null;
  $('kb-q').addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(loadList, 250);
  });
  $('kb-lang').addEventListener('change', loadList);
  $('kb-search').addEventListener('submit', (e) => {
    e.preventDefault();
    loadList();
  });

  async function loadIntents() {
    try {
      const r = await api('GET', '/intents');
      $('kb-intent-list').replaceChildren(...((r && r.intents) || []).map((i) => h('option', { value: i })));
    } catch (e) {
      /* the editor works without suggestions */
    }
  }

  // ---- the editor ---------------------------------------------------------------------------------

  const isAdmin = () => me && me.role === 'admin';

  async function edit(id) {
    try {
      show(await api('GET', '/articles/' + id));
    } catch (e) {
      if (e.status !== 401) notice("Couldn't open the article: " + e.message, 'error');
    }
  }

  function show(a) {
    selected = a;
    $('kb-empty').hidden = true;
    $('kb-form').hidden = false;
    $('kb-form-title').textContent = a.id ? 'Edit article' : 'New article';
    $('kb-title').value = a.title || '';
    $('kb-language').value = a.language || 'en';
    $('kb-published').checked = a.published !== false;
    $('kb-intents').value = (a.intents || []).join(', ');
    $('kb-body').value = a.body || '';
    $('kb-error').hidden = true;
    $('kb-delete').hidden = !a.id || !isAdmin();
    const ro = !isAdmin();
    $('kb-readonly').hidden = !ro;
    $('kb-save').hidden = ro;
    for (const el of $('kb-form').querySelectorAll('input, textarea')) el.readOnly = ro;
    $('kb-published').disabled = ro;
    preview();
    renderList($('kb-q').value.trim());
  }

  function preview() {
    const paras = $('kb-body').value.split(/\n\s*\n/).filter((p) => p.trim());
    $('kb-preview').replaceChildren(h('h2', {}, $('kb-title').value), ...paras.map((p) => h('p', {}, p)));
  }
  $('kb-body').addEventListener('input', preview);
  $('kb-title').addEventListener('input', preview);

  $('kb-new').addEventListener('click', () => show({ language: $('kb-lang').value || 'en', published: true }));

  $('kb-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!selected || !isAdmin()) return;
    const body = {
      title: $('kb-title').value.trim(),
      language: $('kb-language').value.trim().toLowerCase(),
      published: $('kb-published').checked,
      intents: $('kb-intents').value.split(',').map((s) => s.trim()).filter(Boolean),
      body: $('kb-body').value,
    };
    const err = $('kb-error');
    err.hidden = true;
    $('kb-save').disabled = true;
    try {
      const saved = selected.id ? await api('PUT', '/articles/' + selected.id, body) : await api('POST', '/articles', body);
      notice('Saved. The assistant answers from it now.', 'ok');
      await loadList();
      show(saved);
    } catch (ex) {
      err.textContent = ex.message;
      err.hidden = false;
    } finally {
      $('kb-save').disabled = false;
    }
  });

  $('kb-delete').addEventListener('click', async () => {
    if (!selected || !selected.id || !isAdmin()) return;
    if (!window.confirm(`Delete “${selected.title}”? Answers that cited it keep their link text.`)) return;
    try {
      await api('DELETE', '/articles/' + selected.id);
      notice('Deleted.', 'ok');
      selected = null;
      $('kb-form').hidden = true;
      $('kb-empty').hidden = false;
      loadList();
    } catch (ex) {
      notice("Couldn't delete: " + ex.message, 'error');
    }
  });

  // ---- start --------------------------------------------------------------------------------------

  api('GET', '/agents/me')
    .then(start)
    .catch((e) => {
      if (e.status !== 401) showLogin("Can't reach the server: " + e.message);
    });
})();
