/*
 * Tandem staff consoles (agent, admin, knowledge): what the three pages share — the JSON API
 * call with its error type. Loaded before each page's own script; defines window.TandemConsole.
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

  window.TandemConsole = { APIError, request };
})();
