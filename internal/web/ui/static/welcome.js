/*
 * welcome.js runs the one-time pages that let people in: /setup?token=…
 * (the first workspace and its admin, on a fresh server) and
 * /invite/{token} (an invited person sets their name and password). Both
 * sign the person in and open their console.
 */
(function () {
  'use strict';
  const byId = (id) => document.getElementById(id);
  const TOKEN_KEY = 'tandem.agent.token';
  const intro = byId('welcome-intro');
  const err = byId('welcome-error');
  const btn = byId('welcome-submit');
  const api = (method, path, body) => TandemConsole.request({}, method, path, body);
  const setup = location.pathname === '/setup';
  const token = setup
    ? new URLSearchParams(location.search).get('token') || ''
    : decodeURIComponent(location.pathname.replace(/^\/invite\//, ''));

  function fail(msg) {
    err.textContent = msg;
    err.hidden = false;
  }

  async function start() {
    if (setup) {
      try {
        await api('GET', '/setup/' + encodeURIComponent(token));
      } catch (ex) {
        intro.textContent = 'This setup link does not work: it was used already, or the server is set up. Sign in at /admin.';
        return;
      }
      intro.textContent = 'Set up this server: name your first workspace and create its admin account.';
      byId('workspace-fields').hidden = false;
      btn.textContent = 'Create workspace and admin';
    } else {
      intro.textContent = 'You are invited to join a support team. Choose your name and password.';
      btn.textContent = 'Join';
    }
    byId('person-fields').hidden = false;
    btn.hidden = false;
  }

  byId('welcome-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    err.hidden = true;
    const name = byId('name').value.trim();
    const password = byId('password').value;
    if (!name) return fail('Enter your name.');
    if (password.length < 10) return fail('The password must be at least 10 characters.');
    btn.disabled = true;
    try {
      let r;
      if (setup) {
        r = await api('POST', '/setup', {
          token,
          workspace_name: byId('ws-name').value.trim(),
          workspace_slug: byId('ws-slug').value.trim(),
          email: byId('email').value.trim(),
          name,
          password,
        });
      } else {
        r = await api('POST', '/invitations/' + encodeURIComponent(token) + '/accept', { name, password });
      }
      sessionStorage.setItem(TOKEN_KEY, r.token);
      location.assign(r.agent && r.agent.role === 'agent' ? '/agent' : '/admin');
    } catch (ex) {
      fail(ex.status === 404 ? 'This link does not work any more (used or expired).' : ex.message);
    } finally {
      btn.disabled = false;
    }
  });

  start();
})();
