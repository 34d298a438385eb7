/*
 * Tandem staff consoles (agent, admin, knowledge): what the pages share — the JSON API call
 * with its error type, and the resumable event stream. Loaded before each page's own script;
 * defines window.TandemConsole.
 */
(function () {
  'use strict';

  class APIError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status; // 0 = network failure
      this.code = code;
    }
    // missing: the server has no such endpoint (an older or newer Tandem).
    get missing() {
      return this.status === 404 && /no such endpoint/.test(this.message);
    }
  }

  // request calls /api/v1 with the caller's Bearer token. opts: token (string or null),
  // onUnauthorized() when a signed-in call gets 401, onResponse(res) to read headers.
  async function request(opts, method, path, body) {
    const headers = { Accept: 'application/json' };
    if (opts.token) headers.Authorization = 'Bearer ' + opts.token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res;
    try {
      res = await fetch('/api/v1' + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      throw new APIError(0, 'network', 'The server cannot be reached.');
    }
    if (opts.onResponse) opts.onResponse(res);
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
      if (res.status === 401 && path !== '/auth/login' && opts.onUnauthorized) opts.onUnauthorized();
      throw new APIError(res.status, err.code || 'http_' + res.status, err.message || res.statusText || 'Request failed');
    }
    return data;
  }

  // stream keeps one WebSocket to /api/v1/stream open while started, resuming after the last
  // seq the page saw. opts: token() and seq() read the page's current values; query adds
  // parameters ("typing=1"); onEvent(frame); onState(text, kind) for the connection badge;
  // probe() is a REST call made now and then when the socket never opens, so that an ended
  // session shows itself as a 401.
  function stream(opts) {
    let ws = null;
    let timer = null;
    let attempt = 0;

    function connect() {
      timer = null;
      const token = opts.token();
      if (!token) return;
      const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
      let url = `${proto}//${location.host}/api/v1/stream?${opts.query ? opts.query + '&' : ''}token=${encodeURIComponent(token)}`;
      const seq = opts.seq();
      if (seq != null) url += '&after=' + seq;
      opts.onState(attempt ? 'Reconnecting…' : 'Connecting…', 'wait');
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
        attempt = 0;
        opts.onState('Live', 'ok');
      });
      sock.addEventListener('message', (e) => {
        let ev;
        try {
          ev = JSON.parse(e.data);
        } catch (err) {
          return;
        }
        if (ws === sock) opts.onEvent(ev);
      });
      sock.addEventListener('close', () => {
        if (ws !== sock) return;
        ws = null;
        reconnectLater(opened);
      });
    }

    function reconnectLater(opened) {
      if (!opts.token()) return;
      opts.onState('Offline — reconnecting…', 'bad');
      const delay = Math.min(15000, 1000 * 2 ** attempt) * (0.8 + Math.random() * 0.4);
      attempt++;
      timer = setTimeout(async () => {
        if (!opened && attempt % 3 === 0 && opts.probe) await opts.probe().catch(() => {});
        if (opts.token()) connect();
        else timer = null;
      }, delay);
    }

    // A socket open when the network went away may look open long after it died: drop it, and
    // reconnect (resuming after the last seq) as soon as the browser says the network is back.
    window.addEventListener('offline', () => {
      if (!ws) return;
      const s = ws;
      ws = null;
      s.close();
      reconnectLater(true);
    });
    window.addEventListener('online', () => {
      if (!opts.token() || ws) return;
      clearTimeout(timer);
      attempt = 0;
      connect();
    });

    return {
      start() {
        if (ws || timer || !opts.token()) return;
        connect();
      },
      stop() {
        clearTimeout(timer);
        timer = null;
        attempt = 0;
        if (ws) {
          const s = ws;
          ws = null;
          s.close();
        }
      },
      live() {
        return !!ws && ws.readyState === 1;
      },
    };
  }

  /**
   * bindLogin wires the consoles' shared sign-in form (#login-form with
   * #login-email, #login-password, #login-error and #login-submit): it
   * checks both fields are filled, posts them to /auth/login with api, and
   * hands the answer ({token, agent}) to onSignedIn; a refusal is shown in
   * the form.
   */
  function bindLogin(api, onSignedIn) {
    const byId = (id) => document.getElementById(id);
    byId('login-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      const email = byId('login-email').value.trim();
      const password = byId('login-password').value;
      const err = byId('login-error');
      if (!email || !password) {
        err.textContent = 'Enter your email and password.';
        err.hidden = false;
        return;
      }
      const btn = byId('login-submit');
      btn.disabled = true;
      err.hidden = true;
      try {
        const r = await api('POST', '/auth/login', { email, password });
        byId('login-password').value = '';
        onSignedIn(r);
      } catch (ex) {
        err.textContent = ex.status === 401 ? 'Wrong email or password.' : ex.message;
        err.hidden = false;
      } finally {
        btn.disabled = false;
      }
    });
  }

  window.TandemConsole = { APIError, request, stream, bindLogin };
})();
