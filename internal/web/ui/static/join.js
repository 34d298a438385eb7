/*
 * join.js runs a workspace's public join page (/join/{workspace}): anyone
 * applies with their name, email, languages, motivation and answers to the
 * screening questions, is signed in, and goes to the agent console to train.
 */
(function () {
  'use strict';
  const byId = (id) => document.getElementById(id);
  const TOKEN_KEY = 'tandem.agent.token';
  const slug = decodeURIComponent(location.pathname.replace(/^\/join\//, ''));
  const api = (method, path, body) => TandemConsole.request({}, method, path, body);
  const err = byId('join-error');
  let questions = [];

  function fail(msg) {
    err.textContent = msg;
    err.hidden = false;
  }

  async function start() {
    let page;
    try {
      page = await api('GET', '/join/' + encodeURIComponent(slug));
    } catch (ex) {
      byId('join-intro').textContent = 'This team is not taking applications now.';
      return;
    }
    byId('join-title').textContent = 'Join ' + page.name;
    byId('join-intro').textContent = 'Apply to join the support team of ' + page.name + '.';
    questions = page.questions || [];
    const box = byId('join-questions');
    questions.forEach((q, i) => {
      const label = document.createElement('label');
      label.htmlFor = 'join-q' + i;
      label.textContent = q;
      const input = document.createElement('textarea');
      input.id = 'join-q' + i;
      input.rows = 2;
      input.required = true;
      box.append(label, input);
    });
    byId('join-fields').hidden = false;
    byId('join-submit').hidden = false;
  }

  byId('join-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    err.hidden = true;
    const body = {
      name: byId('join-name').value.trim(),
      email: byId('join-email').value.trim(),
      password: byId('join-password').value,
      languages: byId('join-languages').value.split(/[\s,]+/).filter(Boolean),
      motivation: byId('join-motivation').value.trim(),
      answers: questions.map((_, i) => byId('join-q' + i).value.trim()),
    };
    if (!body.name || !body.email) return fail('Enter your name and email.');
    if (body.password.length < 10) return fail('The password must be at least 10 characters.');
    if (!body.languages.length) return fail('Name at least one language.');
    if (body.answers.some((a) => !a)) return fail('Answer every question.');
    const btn = byId('join-submit');
    btn.disabled = true;
    try {
      const r = await api('POST', '/join/' + encodeURIComponent(slug), body);
      sessionStorage.setItem(TOKEN_KEY, r.token);
      location.assign('/agent/me');
    } catch (ex) {
      fail(ex.message);
    } finally {
      btn.disabled = false;
    }
  });

  start();
})();
