/*
 * workforce.js holds what the workforce pages share: the signed-in API
 * client, money and time formatting, and a tiny Markdown reader for
 * training material (headings, lists, paragraphs; everything escaped).
 */
(function () {
  'use strict';
  const TOKEN_KEY = 'tandem.agent.token';

  function session(onSignedIn) {
    const byId = (id) => document.getElementById(id);
    let token = sessionStorage.getItem(TOKEN_KEY);
    const signOut = () => {
      token = null;
      sessionStorage.removeItem(TOKEN_KEY);
      byId('app').hidden = true;
      byId('login-view').hidden = false;
    };
    const api = (method, path, body) =>
      TandemConsole.request({ token, onUnauthorized: signOut }, method, path, body);
    TandemConsole.bindLogin((m, p, b) => TandemConsole.request({}, m, p, b), (r) => {
      token = r.token;
      sessionStorage.setItem(TOKEN_KEY, token);
      start();
    });
    byId('logout').addEventListener('click', async () => {
      try { await api('POST', '/auth/logout'); } catch (e) { /* signed out anyway */ }
      signOut();
    });
    async function start() {
      try {
        const me = await api('GET', '/agents/me');
        byId('me').textContent = me.name + ' · ' + me.role;
        byId('login-view').hidden = true;
        byId('app').hidden = false;
        onSignedIn(api, me);
      } catch (e) {
        signOut();
      }
    }
    if (token) start(); else signOut();
    return api;
  }

  function money(amount, currency) {
    if (amount == null) return '–';
    try {
      return new Intl.NumberFormat(undefined, { style: 'currency', currency: currency || 'EUR' }).format(amount / 100);
    } catch (e) {
      return (amount / 100).toFixed(2) + ' ' + (currency || '');
    }
  }

  function when(t) {
    return new Date(t).toLocaleString(undefined, { weekday: 'short', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  }

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (v !== false && v != null) e.setAttribute(k, v === true ? '' : v);
    }
    for (const k of kids) if (k != null) e.append(k);
    return e;
  }

  // markdown renders headings (#), bullet lists (- or *) and paragraphs as
  // DOM nodes built from text, so material can never inject markup.
  function markdown(src) {
    const out = document.createDocumentFragment();
    let list = null;
    for (const block of String(src || '').split(/\n/)) {
      const line = block.trim();
      const h = line.match(/^(#{1,3})\s+(.*)$/);
      const li = line.match(/^[-*]\s+(.*)$/);
      if (li) {
        if (!list) { list = el('ul'); out.append(list); }
        list.append(el('li', {}, li[1]));
        continue;
      }
      list = null;
      if (h) out.append(el('h' + (h[1].length + 3), {}, h[2]));
      else if (line) out.append(el('p', {}, line));
    }
    return out;
  }

  function notice(text, isError) {
    const n = document.getElementById('notice');
    n.textContent = text;
    n.classList.toggle('error', !!isError);
    n.hidden = !text;
    if (text) setTimeout(() => { if (n.textContent === text) n.hidden = true; }, 6000);
  }

  window.Workforce = { session, money, when, el, markdown, notice };
})();
