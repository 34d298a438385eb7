/*
 * Tandem chat widget.
 *
 *   <script src="https://HOST/widget.js" data-workspace="acme" async></script>
 *
 * Optional attributes: data-title, data-external-id, data-name, data-email, data-user-hash,
 * data-lang (the language of the widget's own labels: en, sv, de, es or fr; by default the
 * visitor's browser language, else English).
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
  const TYPING_EVERY = 3000; // at most one "I'm typing" call per this many ms
  const TYPING_SHOWN = 6000; // "Ana is typing…" goes away after this long without news

  // ---- the widget's own words, in the visitor's language --------------------------------------
  // Messages come from the server as written; these are the widget's labels. {name} is replaced.

  const STRINGS = {
    en: {
      intro: 'Hi! Ask {title} anything. Want a human instead? Tap “Talk to a person” at any time.',
      teamOnline: 'Our team is online', teamOffline: 'Nobody from our team is online right now', teamUnknown: 'The assistant answers at once; our team replies here', talk: 'Talk to a person', handoffBody: 'I would like to talk to a person',
      placeholder: 'Write a message…', messageLabel: 'Message', send: 'Send message', close: 'Close chat', open: 'Open chat with {title}', unread: '{n} new',
      messages: 'Messages', powered: 'Powered by Tandem', assistant: '{title} assistant', agent: 'Support agent', source: 'Source: ',
      feedbackQ: 'Did this answer your question?', yes: 'Yes', no: 'No', glad: 'Thanks — glad that helped!',
      followQ: "Leave your email and we'll also write to you there:", followBtn: 'Email me', followLabel: 'Your email address',
      followQNoMail: 'Leave your email so our team can reach you:', followBtnNoMail: 'Leave my email', keptEmail: ' Our team has your email address, {email}.',
      followBad: 'Please check the email address.', followFail: "We couldn't save your email just now. Please try again.",
      nobody: "Nobody is online right now who can help. You're number {n} in line, and we'll answer here as soon as someone is — you can leave this page and come back.",
      alsoEmail: " We'll also email you at {email}.", inLine: "You're number {n} in line — expected wait {wait}", inLineNoWait: "You're number {n} in line. We can't estimate the wait right now.",
      underMinute: 'under a minute', aboutMin: 'about {n} min', connecting: 'Connecting you with a person…',
      chattingWith: "You're chatting with {name}", chattingTeam: "You're chatting with our team",
      resolved: 'Resolved — send a message if you need anything else.', joined: '{name} joined the conversation',
      someone: 'Someone from our team', wasResolved: 'This conversation was resolved', sending: 'Sending…',
      retrying: 'Not sent yet — retrying. Tap to retry now.', tooLong: 'Too long to send.', cantSend: "Couldn't send this message.",
      noPerson: "We couldn't reach a person just now. Please try again.", newConv: 'New conversation',
      cantConnect: "We can't connect right now. We'll keep trying.",
      offline: "You're offline. Your messages will be sent when the connection is back.", typing: '{name} is typing…',
      rateQ: 'How was your conversation?', rateScale: 'Rate from 1 to 5', rateStars: ['Very poor', 'Poor', 'Okay', 'Good', 'Excellent'],
      rateComment: 'Anything you would like to add? (optional)', rateSend: 'Send rating', rateThanks: 'Thanks for your rating!',
      rated: 'You rated this conversation {n} out of 5.', rateFail: "We couldn't save your rating. Please try again.", rateChange: 'Change',
      star: '{n} out of 5: {label}',
    },
    sv: {
      intro: 'Hej! Fråga {title} vad du vill. Vill du hellre prata med en människa? Tryck på ”Prata med en person” när som helst.',
      teamOnline: 'Vårt team är online', teamOffline: 'Ingen i vårt team är online just nu', teamUnknown: 'Assistenten svarar direkt; vårt team svarar här', talk: 'Prata med en person', handoffBody: 'Jag vill prata med en person',
      placeholder: 'Skriv ett meddelande…', messageLabel: 'Meddelande', send: 'Skicka meddelande', close: 'Stäng chatten', open: 'Öppna chatten med {title}', unread: '{n} nya',
      messages: 'Meddelanden', powered: 'Drivs av Tandem', assistant: '{title}s assistent', agent: 'Supportmedarbetare', source: 'Källa: ',
      feedbackQ: 'Besvarade det här din fråga?', yes: 'Ja', no: 'Nej', glad: 'Tack — skönt att det hjälpte!',
      followQ: 'Lämna din e-postadress så skriver vi till dig där också:', followBtn: 'Mejla mig', followLabel: 'Din e-postadress',
      followQNoMail: 'Lämna din e-postadress så att vårt team kan nå dig:', followBtnNoMail: 'Lämna e-post', keptEmail: ' Vårt team har din e-postadress, {email}.',
      followBad: 'Kontrollera e-postadressen.', followFail: 'Vi kunde inte spara din e-postadress just nu. Försök igen.',
      nobody: 'Just nu är ingen som kan hjälpa till online. Du är nummer {n} i kön, och vi svarar här så snart någon är det — du kan lämna sidan och komma tillbaka.',
      alsoEmail: ' Vi mejlar dig också på {email}.', inLine: 'Du är nummer {n} i kön — förväntad väntetid {wait}', inLineNoWait: 'Du är nummer {n} i kön. Vi kan inte uppskatta väntetiden just nu.',
      underMinute: 'under en minut', aboutMin: 'cirka {n} min', connecting: 'Vi kopplar dig till en person…',
      chattingWith: 'Du chattar med {name}', chattingTeam: 'Du chattar med vårt team',
      resolved: 'Löst — skriv ett meddelande om du behöver något mer.', joined: '{name} anslöt till samtalet',
      someone: 'Någon från vårt team', wasResolved: 'Samtalet markerades som löst', sending: 'Skickar…',
      retrying: 'Inte skickat än — försöker igen. Tryck för att försöka nu.', tooLong: 'För långt för att skickas.', cantSend: 'Meddelandet kunde inte skickas.',
      noPerson: 'Vi kunde inte nå en person just nu. Försök igen.', newConv: 'Nytt samtal',
      cantConnect: 'Vi kan inte ansluta just nu. Vi fortsätter att försöka.',
      offline: 'Du är offline. Dina meddelanden skickas när anslutningen är tillbaka.', typing: '{name} skriver…',
      rateQ: 'Hur var samtalet?', rateScale: 'Betygsätt från 1 till 5', rateStars: ['Mycket dåligt', 'Dåligt', 'Okej', 'Bra', 'Utmärkt'],
      rateComment: 'Vill du lägga till något? (valfritt)', rateSend: 'Skicka betyg', rateThanks: 'Tack för ditt betyg!',
      rated: 'Du gav samtalet {n} av 5.', rateFail: 'Vi kunde inte spara ditt betyg. Försök igen.', rateChange: 'Ändra',
      star: '{n} av 5: {label}',
    },
    de: {
      intro: 'Hallo! Fragen Sie {title}, was Sie möchten. Lieber mit einem Menschen sprechen? Tippen Sie jederzeit auf „Mit einer Person sprechen“.',
      teamOnline: 'Unser Team ist online', teamOffline: 'Gerade ist niemand aus unserem Team online', teamUnknown: 'Der Assistent antwortet sofort; unser Team antwortet hier', talk: 'Mit einer Person sprechen', handoffBody: 'Ich möchte mit einer Person sprechen',
      placeholder: 'Nachricht schreiben…', messageLabel: 'Nachricht', send: 'Nachricht senden', close: 'Chat schließen', open: 'Chat mit {title} öffnen', unread: '{n} neu',
      messages: 'Nachrichten', powered: 'Bereitgestellt von Tandem', assistant: '{title}-Assistent', agent: 'Support-Mitarbeiter', source: 'Quelle: ',
      feedbackQ: 'Hat das Ihre Frage beantwortet?', yes: 'Ja', no: 'Nein', glad: 'Danke — schön, dass es geholfen hat!',
      followQ: 'Hinterlassen Sie Ihre E-Mail-Adresse, dann schreiben wir Ihnen auch dorthin:', followBtn: 'Per E-Mail', followLabel: 'Ihre E-Mail-Adresse',
      followQNoMail: 'Hinterlassen Sie Ihre E-Mail-Adresse, damit unser Team Sie erreichen kann:', followBtnNoMail: 'Adresse hinterlassen', keptEmail: ' Unser Team hat Ihre E-Mail-Adresse, {email}.',
      followBad: 'Bitte prüfen Sie die E-Mail-Adresse.', followFail: 'Wir konnten Ihre E-Mail-Adresse gerade nicht speichern. Bitte versuchen Sie es erneut.',
      nobody: 'Gerade ist niemand online, der helfen kann. Sie sind Nummer {n} in der Warteschlange, und wir antworten hier, sobald jemand da ist — Sie können die Seite verlassen und später zurückkommen.',
      alsoEmail: ' Wir schreiben Ihnen auch an {email}.', inLine: 'Sie sind Nummer {n} in der Warteschlange — voraussichtliche Wartezeit {wait}', inLineNoWait: 'Sie sind Nummer {n} in der Warteschlange. Die Wartezeit können wir gerade nicht abschätzen.',
      underMinute: 'unter einer Minute', aboutMin: 'etwa {n} Min.', connecting: 'Wir verbinden Sie mit einer Person…',
      chattingWith: 'Sie chatten mit {name}', chattingTeam: 'Sie chatten mit unserem Team',
      resolved: 'Erledigt — schreiben Sie uns, wenn Sie noch etwas brauchen.', joined: '{name} ist dem Gespräch beigetreten',
      someone: 'Jemand aus unserem Team', wasResolved: 'Dieses Gespräch wurde als erledigt markiert', sending: 'Wird gesendet…',
      retrying: 'Noch nicht gesendet — neuer Versuch läuft. Tippen, um es jetzt zu versuchen.', tooLong: 'Zu lang zum Senden.', cantSend: 'Die Nachricht konnte nicht gesendet werden.',
      noPerson: 'Wir konnten gerade keine Person erreichen. Bitte versuchen Sie es erneut.', newConv: 'Neues Gespräch',
      cantConnect: 'Gerade keine Verbindung. Wir versuchen es weiter.',
      offline: 'Sie sind offline. Ihre Nachrichten werden gesendet, sobald die Verbindung wieder steht.', typing: '{name} schreibt…',
      rateQ: 'Wie war Ihr Gespräch?', rateScale: 'Bewerten Sie von 1 bis 5', rateStars: ['Sehr schlecht', 'Schlecht', 'Okay', 'Gut', 'Ausgezeichnet'],
      rateComment: 'Möchten Sie noch etwas ergänzen? (optional)', rateSend: 'Bewertung senden', rateThanks: 'Danke für Ihre Bewertung!',
      rated: 'Sie haben dieses Gespräch mit {n} von 5 bewertet.', rateFail: 'Ihre Bewertung konnte nicht gespeichert werden. Bitte versuchen Sie es erneut.', rateChange: 'Ändern',
      star: '{n} von 5: {label}',
    },
    es: {
      intro: '¡Hola! Pregunta a {title} lo que quieras. ¿Prefieres hablar con una persona? Pulsa «Hablar con una persona» cuando quieras.',
      teamOnline: 'Nuestro equipo está conectado', teamOffline: 'Ahora mismo no hay nadie de nuestro equipo conectado', teamUnknown: 'El asistente responde al momento; nuestro equipo responde aquí', talk: 'Hablar con una persona', handoffBody: 'Quiero hablar con una persona',
      placeholder: 'Escribe un mensaje…', messageLabel: 'Mensaje', send: 'Enviar mensaje', close: 'Cerrar el chat', open: 'Abrir el chat con {title}', unread: '{n} nuevos',
      messages: 'Mensajes', powered: 'Con la tecnología de Tandem', assistant: 'Asistente de {title}', agent: 'Agente de soporte', source: 'Fuente: ',
      feedbackQ: '¿Ha respondido esto a tu pregunta?', yes: 'Sí', no: 'No', glad: '¡Gracias! Nos alegra que te haya servido.',
      followQ: 'Déjanos tu correo y también te escribiremos allí:', followBtn: 'Escríbeme', followLabel: 'Tu correo electrónico',
      followQNoMail: 'Déjanos tu correo para que nuestro equipo pueda contactarte:', followBtnNoMail: 'Dejar mi correo', keptEmail: ' Nuestro equipo tiene tu correo, {email}.',
      followBad: 'Revisa la dirección de correo.', followFail: 'No hemos podido guardar tu correo. Inténtalo de nuevo.',
      nobody: 'Ahora mismo no hay nadie conectado que pueda ayudarte. Eres el número {n} en la cola y te responderemos aquí en cuanto haya alguien; puedes salir de esta página y volver más tarde.',
      alsoEmail: ' También te escribiremos a {email}.', inLine: 'Eres el número {n} en la cola — espera estimada {wait}', inLineNoWait: 'Eres el número {n} en la cola. Ahora mismo no podemos estimar la espera.',
      underMinute: 'menos de un minuto', aboutMin: 'unos {n} min', connecting: 'Te estamos poniendo en contacto con una persona…',
      chattingWith: 'Estás hablando con {name}', chattingTeam: 'Estás hablando con nuestro equipo',
      resolved: 'Resuelto: escribe si necesitas algo más.', joined: '{name} se ha unido a la conversación',
      someone: 'Alguien de nuestro equipo', wasResolved: 'Esta conversación se ha resuelto', sending: 'Enviando…',
      retrying: 'Aún no enviado: reintentando. Pulsa para reintentar ahora.', tooLong: 'Demasiado largo para enviarlo.', cantSend: 'No se ha podido enviar este mensaje.',
      noPerson: 'No hemos podido contactar con una persona. Inténtalo de nuevo.', newConv: 'Nueva conversación',
      cantConnect: 'No podemos conectar ahora mismo. Seguiremos intentándolo.',
      offline: 'Estás sin conexión. Tus mensajes se enviarán cuando vuelva la conexión.', typing: '{name} está escribiendo…',
      rateQ: '¿Qué tal ha ido la conversación?', rateScale: 'Valora del 1 al 5', rateStars: ['Muy mala', 'Mala', 'Normal', 'Buena', 'Excelente'],
      rateComment: '¿Quieres añadir algo? (opcional)', rateSend: 'Enviar valoración', rateThanks: '¡Gracias por tu valoración!',
      rated: 'Has valorado esta conversación con {n} de 5.', rateFail: 'No hemos podido guardar tu valoración. Inténtalo de nuevo.', rateChange: 'Cambiar',
      star: '{n} de 5: {label}',
    },
    fr: {
      intro: 'Bonjour ! Posez toutes vos questions à {title}. Vous préférez parler à un humain ? Touchez « Parler à une personne » à tout moment.',
      teamOnline: 'Notre équipe est en ligne', teamOffline: 'Personne de notre équipe n’est en ligne pour le moment', teamUnknown: 'L’assistant répond tout de suite ; notre équipe répond ici', talk: 'Parler à une personne', handoffBody: 'Je voudrais parler à une personne',
      placeholder: 'Écrivez un message…', messageLabel: 'Message', send: 'Envoyer le message', close: 'Fermer la discussion', open: 'Ouvrir la discussion avec {title}', unread: '{n} nouveaux',
      messages: 'Messages', powered: 'Propulsé par Tandem', assistant: 'Assistant {title}', agent: 'Conseiller', source: 'Source : ',
      feedbackQ: 'Cela a-t-il répondu à votre question ?', yes: 'Oui', no: 'Non', glad: 'Merci — ravi que cela vous ait aidé !',
      followQ: 'Laissez votre e-mail et nous vous écrirons aussi à cette adresse :', followBtn: 'M’écrire', followLabel: 'Votre adresse e-mail',
      followQNoMail: 'Laissez votre e-mail pour que notre équipe puisse vous joindre :', followBtnNoMail: 'Laisser mon e-mail', keptEmail: ' Notre équipe a votre adresse e-mail, {email}.',
      followBad: 'Veuillez vérifier l’adresse e-mail.', followFail: 'Impossible d’enregistrer votre e-mail pour le moment. Veuillez réessayer.',
      nobody: 'Personne ne peut vous aider en ligne pour le moment. Vous êtes numéro {n} dans la file, et nous vous répondrons ici dès que quelqu’un sera disponible — vous pouvez quitter cette page et revenir plus tard.',
      alsoEmail: ' Nous vous écrirons aussi à {email}.', inLine: 'Vous êtes numéro {n} dans la file — attente estimée {wait}', inLineNoWait: 'Vous êtes numéro {n} dans la file. Nous ne pouvons pas estimer l’attente pour le moment.',
      underMinute: 'moins d’une minute', aboutMin: 'environ {n} min', connecting: 'Nous vous mettons en relation avec une personne…',
      chattingWith: 'Vous discutez avec {name}', chattingTeam: 'Vous discutez avec notre équipe',
      resolved: 'Résolu — écrivez-nous si vous avez besoin d’autre chose.', joined: '{name} a rejoint la conversation',
      someone: 'Quelqu’un de notre équipe', wasResolved: 'Cette conversation a été résolue', sending: 'Envoi…',
      retrying: 'Pas encore envoyé — nouvel essai en cours. Touchez pour réessayer maintenant.', tooLong: 'Trop long pour être envoyé.', cantSend: 'Impossible d’envoyer ce message.',
      noPerson: 'Impossible de joindre une personne pour le moment. Veuillez réessayer.', newConv: 'Nouvelle conversation',
      cantConnect: 'Connexion impossible pour le moment. Nous continuons d’essayer.',
      offline: 'Vous êtes hors ligne. Vos messages seront envoyés dès le retour de la connexion.', typing: '{name} écrit…',
      rateQ: 'Comment s’est passée votre conversation ?', rateScale: 'Notez de 1 à 5', rateStars: ['Très mauvaise', 'Mauvaise', 'Correcte', 'Bonne', 'Excellente'],
      rateComment: 'Souhaitez-vous ajouter quelque chose ? (facultatif)', rateSend: 'Envoyer la note', rateThanks: 'Merci pour votre note !',
      rated: 'Vous avez noté cette conversation {n} sur 5.', rateFail: 'Impossible d’enregistrer votre note. Veuillez réessayer.', rateChange: 'Modifier',
      star: '{n} sur 5 : {label}',
    },
  };

  // pickLang chooses the labels' language: data-lang, else the browser's languages in order.
  function pickLang() {
    const wanted = [attr('lang')].concat(navigator.languages || [], navigator.language || []);
    for (const tag of wanted) {
      const base = String(tag || '').toLowerCase().split(/[-_]/)[0];
      if (base === 'nb' || base === 'nn' || base === 'no' || base === 'da') continue; // not Swedish: English is the honest fallback
      if (STRINGS[base]) return base;
    }
    return 'en';
  }
  const lang = pickLang();
  const L = STRINGS[lang];

  // t returns the label key in the visitor's language, with {name} placeholders filled in.
  function t(key, vars) {
    const s = L[key] != null ? L[key] : STRINGS.en[key];
    return typeof s !== 'string' ? s : s.replace(/\{(\w+)\}/g, (m, k) => (vars && vars[k] != null ? String(vars[k]) : m));
  }

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
  const ICON_PERSON = 'M12 12a4.5 4.5 0 1 0 0-9 4.5 4.5 0 0 0 0 9zm0 2c-4.4 0-8 2.2-8 5v2h16v-2c0-2.8-3.6-5-8-5z';
  const ICON_STAR = 'M12 2.5l2.9 6.1 6.6.8-4.9 4.6 1.3 6.6L12 17.3l-5.9 3.3 1.3-6.6-4.9-4.6 6.6-.8z';

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
  const logEl = h('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': t('messages'), tabindex: '0' });
  const statusEl = h('div', { class: 'status', role: 'status', hidden: true });
  // When nobody who can help is online, the customer may leave an email for a follow-up.
  const followEmail = h('input', {
    type: 'email',
    placeholder: 'you@example.com',
    'aria-label': t('followLabel'),
    maxlength: '200',
    autocomplete: 'email',
    required: true,
  });
  const followBtn = h('button', { type: 'submit' }, t('followBtn'));
  // Without an email server the address only reaches the team: no promise of an email.
  const followQ = h('span', { class: 'fu-q' }, t('followQ'));
  const followEl = h(
    'form',
    { class: 'follow-up', hidden: true },
    followQ,
    followEmail,
    followBtn,
  );
  const input = h('textarea', {
    rows: '1',
    placeholder: t('placeholder'),
    'aria-label': t('messageLabel'),
    maxlength: '4000',
  });
  const sendBtn = h('button', { type: 'submit', class: 'send', 'aria-label': t('send') }, icon(ICON_SEND));
  const composer = h('form', { class: 'composer' }, input, sendBtn);
  const humanBtn = h('button', { type: 'button', class: 'human' }, icon(ICON_PERSON), h('span', {}, t('talk')));
  // Once queued, the status line (where the customer stands) takes the button's place; while
  // a person has the conversation it is gone too: there is nobody more to ask for.
  const humanBar = h('div', { class: 'human-bar' }, humanBtn);
  // The header says whether anyone of the team is online — never a promise nobody can keep.
  const subtitleEl = h('div', { class: 'subtitle' }, t('teamUnknown'));
  const closeBtn = h('button', { type: 'button', class: 'close', 'aria-label': t('close') }, icon(ICON_CLOSE));
  // "Ana is typing…": outside the log, so it is never read out as a message.
  const typingEl = h('div', { class: 'typing', hidden: true, 'aria-hidden': 'true' }, h('span', { class: 'dots' }, h('i'), h('i'), h('i')), h('span', { class: 'typing-text' }));
  // Offline: said once, politely; the outbox keeps the messages until the network is back.
  const netEl = h('div', { class: 'net', role: 'status', hidden: true });
  const panel = h(
    'div',
    { class: 'panel', id: 'tandem-panel', role: 'dialog', 'aria-labelledby': titleID, hidden: true, lang },
    h(
      'header',
      { class: 'head' },
      h('div', { class: 'avatar', 'aria-hidden': 'true' }, cfg.title.charAt(0).toUpperCase()),
      h('div', { class: 'titles' }, h('div', { class: 'title', id: titleID }, cfg.title), subtitleEl),
      closeBtn,
    ),
    humanBar,
    netEl,
    statusEl,
    followEl,
    logEl,
    typingEl,
    composer,
    h('div', { class: 'foot' }, t('powered')),
  );
  const badge = h('span', { class: 'badge', hidden: true, 'aria-hidden': 'true' });
  const bubble = h(
    'button',
    { type: 'button', class: 'bubble', 'aria-label': t('open', { title: cfg.title }), 'aria-expanded': 'false', 'aria-controls': 'tandem-panel', lang },
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
    h('div', { class: 'intro' }, t('intro', { title: cfg.title })),
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
    bubble.setAttribute('aria-label', t('close'));
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
    bubble.setAttribute('aria-label', t('open', { title: cfg.title }));
    bubble.classList.remove('open');
    if (hadFocus) bubble.focus();
  }
  function setUnread(n) {
    unread = n;
    badge.hidden = n === 0;
    badge.textContent = n > 9 ? '9+' : String(n);
    // The badge is hidden from screen readers: the bubble's name says it.
    if (!isOpen) bubble.setAttribute('aria-label', t('open', { title: cfg.title }) + (n ? ` (${t('unread', { n })})` : ''));
  }

  bubble.addEventListener('click', () => (isOpen ? closePanel() : openPanel()));
  closeBtn.addEventListener('click', closePanel);
  // The open panel keeps keyboard focus: Tab and Shift+Tab cycle through its controls (and the
  // bubble that closes it); Escape closes it and returns focus to the bubble.
  function focusables() {
    const list = [...panel.querySelectorAll('button, a[href], input, textarea, select, [tabindex="0"]')].filter(
      (el) => !el.disabled && el.tabIndex >= 0 && !el.closest('[hidden]') && el.getClientRects().length > 0,
    );
    list.push(bubble);
    return list;
  }
  root.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && isOpen) {
      e.stopPropagation();
      closePanel();
      bubble.focus();
      return;
    }
    if (e.key !== 'Tab' || !isOpen) return;
    const list = focusables();
    const at = list.indexOf(root.activeElement);
    const next = e.shiftKey ? (at <= 0 ? list.length - 1 : at - 1) : at === list.length - 1 || at < 0 ? 0 : at + 1;
    e.preventDefault();
    list[next].focus();
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
  // Whether the server emails replies to a follow-up address. Stream
  // events carry the bare conversation, so once seen it stays known.
  let mailOn = false;
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

  // keepNewestInView: the status line, the email form and the choices change the log's
  // height; the newest message must stay in view whatever appears above or below it.
  function keepNewestInView() {
    requestAnimationFrame(() => scrollDown(true));
  }
  if (typeof ResizeObserver === 'function') new ResizeObserver(() => scrollDown(true)).observe(logEl);

  function note(text) {
    logEl.insertBefore(h('div', { class: 'note' }, text), ratingEl.isConnected ? ratingEl : null);
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
    if (kind === 'assistant') label = m.author_name || t('assistant', { title: cfg.title });
    if (kind === 'agent') label = m.author_name || t('agent');
    const el = messageElement(kind, label, m.body || '', m.created_at);
    addCitation(el, m);
    addFeedback(el, m);
    addChoices(el, m);
    return el;
  }

  function addCitation(el, m) {
    const c = m.citation;
    if (!c || !c.title || el.querySelector('.source')) return;
    const href = c.url ? safeURL(c.url) : null;
    const src = h('div', { class: 'source' }, t('source'));
    src.append(href ? h('a', { href, target: '_blank', rel: 'noopener noreferrer' }, c.title) : c.title);
    el.append(src);
  }

  // "Did this answer your question?" under the assistant's latest answer (one with a source):
  // yes resolves the conversation, no brings in a person at once.
  function addFeedback(el, m) {
    if (m.author_kind !== 'assistant' || !m.citation || el.querySelector('.feedback')) return;
    const yes = h('button', { type: 'button', class: 'fb-yes' }, t('yes'));
    const no = h('button', { type: 'button', class: 'fb-no' }, t('no'));
    const box = h('div', { class: 'feedback', role: 'group', 'aria-label': t('feedbackQ') },
      h('span', { class: 'fb-q' }, t('feedbackQ')), yes, no);
    const send = async (helpful) => {
      yes.disabled = no.disabled = true;
      try {
        const c = await call('POST', `/conversations/${m.conversation_id}/feedback`, { helpful, message_id: m.id });
        box.remove();
        if (helpful) note(t('glad'));
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

  // A question back from the assistant carries choices to tap: each sends the choice's id (the
  // server stores its label as the message), so the assistant knows exactly what was chosen.
  function addChoices(el, m) {
    if (m.author_kind !== 'assistant' || !Array.isArray(m.choices) || !m.choices.length || el.querySelector('.choices')) return;
    const box = h('div', { class: 'choices', role: 'group' });
    for (const c of m.choices) {
      if (!c || !c.id || !c.label) continue;
      const b = h('button', { type: 'button', class: 'choice' + (c.id === 'person' ? ' choice-person' : c.id === 'something_else' ? ' choice-other' : '') }, c.label);
      b.dataset.choice = c.id;
      b.addEventListener('click', () => {
        for (const x of box.querySelectorAll('button')) x.disabled = true;
        box.remove();
        sendMessage(c.label, c.id);
      });
      box.append(b);
    }
    el.append(box);
  }

  // pruneChoices keeps the choices only under the newest message, while the assistant holds
  // the conversation: an old question's buttons would answer a question no longer asked.
  function pruneChoices() {
    const boxes = logEl.querySelectorAll('.choices');
    if (!boxes.length) return;
    let newest = null;
    for (const el of logEl.querySelectorAll('.msg')) {
      if (el.dataset.seq && (!newest || Number(el.dataset.seq) > Number(newest.dataset.seq))) newest = el;
    }
    const open = !conv || conv.status === 'ai';
    for (const b of boxes) if (!open || !newest || !newest.contains(b)) b.remove();
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
    while (cur && (cur.classList.contains('pending') || cur === ratingEl || (cur.dataset.seq && Number(cur.dataset.seq) > seq))) {
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
      if (m.author_kind === 'agent') hideTyping();
    }
    byID.set(m.id, el);
    pruneFeedback();
    pruneChoices();
    scrollDown(true); // the newest message is always in view
    keepNewestInView();
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

  function syncHumanBar(c) {
    const s = c && c.status;
    humanBar.hidden = s === 'assigned' || s === 'queued';
    keepNewestInView();
  }

  function setTeam(online) {
    subtitleEl.textContent = online === true ? t('teamOnline') : online === false ? t('teamOffline') : t('teamUnknown');
    subtitleEl.dataset.team = online === true ? 'online' : online === false ? 'offline' : 'unknown';
  }

  let presenceTimer = null;
  async function refreshPresence() {
    try {
      const p = await call('GET', '/widget/presence');
      if (p && typeof p.team_online === 'boolean') setTeam(p.team_online);
    } catch (e) {
      setTeam(null);
    }
  }

  function setStatus(text, kind) {
    statusEl.textContent = text || '';
    statusEl.hidden = !text;
    statusEl.className = 'status' + (kind ? ' ' + kind : '');
    keepNewestInView();
  }

  function setConv(c) {
    conv = c;
    if (c.follow_up_by_email) mailOn = true;
    pruneFeedback();
    pruneChoices();
    const s = c.status;
    if (s === 'queued') {
      const q = c.queue;
      if (q && q.agents_online === 0) {
        const also = c.follow_up_email ? t(mailOn ? 'alsoEmail' : 'keptEmail', { email: c.follow_up_email }) : '';
        setStatus(t('nobody', { n: q.position || 1 }) + also, 'waiting');
      } else if (q && q.position && (q.expected_wait_unknown || q.expected_wait_seconds == null)) {
        // No estimate: say so rather than promise one.
        setStatus(t('inLineNoWait', { n: q.position }), 'waiting');
      } else if (q && q.position) {
        // The server never says under a minute while nobody who can help is free.
        const secs = q.expected_wait_seconds;
        const wait = secs < 60 ? t('underMinute') : t('aboutMin', { n: Math.round(secs / 60) });
        setStatus(t('inLine', { n: q.position, wait }), 'waiting');
      } else {
        setStatus(t('connecting'), 'waiting');
      }
    } else if (s === 'assigned') {
      setStatus(c.assignee_name ? t('chattingWith', { name: c.assignee_name }) : t('chattingTeam'), 'live');
    } else if (s === 'resolved' || s === 'closed') {
      setStatus(t('resolved'), 'done');
    } else {
      setStatus(null);
    }
    followEl.hidden = !(s === 'queued' && c.queue && c.queue.agents_online === 0 && !c.follow_up_email);
    syncHumanBar(c);
    if (s === 'assigned') setTeam(true); // someone is with the customer
    else if (s === 'queued' && c.queue) setTeam(c.queue.agents_online > 0);
    followQ.textContent = t(mailOn ? 'followQ' : 'followQNoMail');
    followBtn.textContent = t(mailOn ? 'followBtn' : 'followBtnNoMail');
    syncRating(c); // after resolution: the 1–5 rating (rating section below)
    if (s !== 'assigned') hideTyping();
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
      note(err.status === 400 ? t('followBad') : t('followFail'));
    } finally {
      followBtn.disabled = false;
    }
  });

  // ---- the rating, once the conversation is resolved ------------------------------------------
  //
  // A card at the end of the transcript: five stars (a radio group: arrow keys move, the label
  // says what each means), an optional comment, Send. POST /conversations/{id}/csat; rating again
  // replaces the rating.

  const ratingEl = h('div', { class: 'rating', role: 'group', 'aria-labelledby': 'tandem-rate-q' });
  let ratingFor = null; // the conversation id the card is built for
  let ratingEditing = false;

  function syncRating(c) {
    const done = c && (c.status === 'resolved' || c.status === 'closed');
    if (!done) {
      ratingEl.remove();
      ratingFor = null;
      ratingEditing = false;
      return;
    }
    if (ratingFor !== c.id || (!ratingEditing && !ratingEl.contains(root.activeElement))) {
      ratingFor = c.id;
      ratingEditing = false;
      buildRating(c.csat || null);
    }
    // Keep it last, unless the customer is using it.
    if (!ratingEl.isConnected || (logEl.lastElementChild !== ratingEl && !ratingEl.contains(root.activeElement))) {
      logEl.append(ratingEl);
      scrollDown(false);
    }
  }

  function buildRating(csat) {
    if (csat && !ratingEditing) {
      const change = h('button', { type: 'button', class: 'link' }, t('rateChange'));
      change.addEventListener('click', () => {
        ratingEditing = true;
        buildRating(csat);
        const checked = ratingEl.querySelector('[aria-checked="true"]');
        if (checked) checked.focus();
      });
      ratingEl.replaceChildren(
        h('div', { class: 'rate-q', id: 'tandem-rate-q' }, t('rateThanks')),
        h('div', { class: 'rate-done' }, h('span', { class: 'stars-static', 'aria-hidden': 'true' }, '★'.repeat(csat.score) + '☆'.repeat(5 - csat.score)),
          h('span', {}, t('rated', { n: csat.score })), change),
      );
      return;
    }
    let score = csat ? csat.score : 0;
    const labels = t('rateStars');
    const word = h('span', { class: 'rate-word', 'aria-hidden': 'true' }, score ? labels[score - 1] : '');
    const stars = [];
    const group = h('div', { class: 'stars', role: 'radiogroup', 'aria-label': t('rateScale') });
    const comment = h('textarea', { class: 'rate-comment', rows: '2', maxlength: '1000', placeholder: t('rateComment'), 'aria-label': t('rateComment') });
    comment.value = csat ? csat.comment || '' : '';
    const send = h('button', { type: 'submit', class: 'rate-send' }, t('rateSend'));
    const form = h('form', { class: 'rate-form', hidden: !score }, comment, send);
    const paint = (upTo) => stars.forEach((b, i) => b.classList.toggle('on', i < upTo));
    const choose = (n, focus) => {
      score = n;
      stars.forEach((b, i) => {
        b.setAttribute('aria-checked', String(i + 1 === n));
        b.tabIndex = i + 1 === n ? 0 : -1;
      });
      paint(n);
      word.textContent = labels[n - 1];
      const opening = form.hidden;
      form.hidden = false;
      if (opening && logEl.lastElementChild === ratingEl) scrollDown(true);
      if (focus) stars[n - 1].focus();
    };
    for (let n = 1; n <= 5; n++) {
      const b = h('button', { type: 'button', class: 'star', role: 'radio', 'aria-checked': 'false', 'aria-label': t('star', { n, label: labels[n - 1] }), tabindex: n === 1 ? '0' : '-1' }, icon(ICON_STAR));
      b.addEventListener('click', () => choose(n, false));
      b.addEventListener('mouseenter', () => paint(n));
      b.addEventListener('keydown', (e) => {
        const d = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1 }[e.key];
        if (!d) return;
        e.preventDefault();
        choose(Math.min(5, Math.max(1, (score || 0) + d)), true);
      });
      stars.push(b);
      group.append(b);
    }
    group.addEventListener('mouseleave', () => paint(score));
    if (score) choose(score, false);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const id = ratingFor;
      if (!score || !id) return;
      send.disabled = true;
      try {
        const r = await call('POST', `/conversations/${id}/csat`, { score, comment: comment.value.trim() });
        if (conv && conv.id === id) conv = Object.assign({}, conv, { csat: r });
        ratingEditing = false;
        buildRating(r);
        const q = ratingEl.querySelector('.rate-done .link');
        if (q) q.focus();
      } catch (err) {
        send.disabled = false;
        note(t('rateFail'));
      }
    });
    ratingEl.replaceChildren(h('div', { class: 'rate-q', id: 'tandem-rate-q' }, t('rateQ')), h('div', { class: 'rate-row' }, group, word), form);
  }

  // ---- typing indicators -----------------------------------------------------------------------
  //
  // The stream brings {"type":"typing"} frames (no seq: they are not events) when the person
  // helping writes; the customer's own typing is sent at most every TYPING_EVERY ms while a
  // person holds the conversation (the assistant does not need to know).

  let typingTimer = null;
  let typingSent = 0;

  function showTyping(name) {
    typingEl.querySelector('.typing-text').textContent = t('typing', { name: name || t('someone') });
    const was = typingEl.hidden;
    typingEl.hidden = false;
    if (was) scrollDown(false);
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, TYPING_SHOWN);
  }

  function hideTyping() {
    clearTimeout(typingTimer);
    typingTimer = null;
    typingEl.hidden = true;
  }

  function noteTyping() {
    const id = state.conversationId;
    if (!id || !conv || conv.status !== 'assigned' || !input.value.trim()) return;
    const now = Date.now();
    if (now - typingSent < TYPING_EVERY) return;
    typingSent = now;
    call('POST', `/conversations/${id}/typing`).catch(() => {});
  }

  // ---- the network ----------------------------------------------------------------------------

  function setNet(offline) {
    netEl.textContent = offline ? t('offline') : '';
    netEl.hidden = !offline;
  }
  // A socket that was open when the network went away may look open long after it died (the
  // browser cannot see the server's pings): drop it, and reconnect — resuming after the last seq
  // seen, then filling any gap — as soon as the browser says the network is back (or the
  // back-off tries again).
  window.addEventListener('offline', () => {
    setNet(true);
    if (ws) {
      const s = ws;
      ws = null;
      s.close();
      reconnectLater(true);
    }
  });
  window.addEventListener('online', () => {
    setNet(false);
    reconnectNow();
  });
  if (navigator.onLine === false) setNet(true);

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

  function sendMessage(body, choiceID) {
    const clientID = uuid();
    const el = messageElement('customer pending', null, body, null);
    el.append(h('div', { class: 'state' }, t('sending')));
    el.addEventListener('click', () => {
      if (el.classList.contains('failed')) retryNow();
    });
    pending.set(clientID, el);
    logEl.append(el);
    scrollDown(true);
    enqueue({ type: 'message', clientID, body, el, choiceID });
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
    if (st) st.textContent = t('retrying');
  }

  function failJob(job, e) {
    if (job.type === 'message') {
      if (!pending.has(job.clientID)) return;
      pending.delete(job.clientID);
      job.el.classList.remove('pending');
      job.el.classList.add('failed');
      const st = job.el.querySelector('.state');
      if (st) st.textContent = e.status === 413 ? t('tooLong') : t('cantSend');
    } else {
      humanBtn.disabled = false;
      note(t('noPerson'));
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
        const msg = { client_id: job.clientID, body: job.body };
        if (job.choiceID) msg.choice_id = job.choiceID;
        const m = await call('POST', `/conversations/${state.conversationId}/messages`, msg);
        render(m, false);
      } catch (e) {
        // The conversation is gone or can no longer take messages: start a new one with this message.
        if (e.status === 404 || e.status === 409) {
          resetConversation();
          note(t('newConv'));
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
    if (!state.conversationId && !outbox.some((j) => j.type === 'message')) sendMessage(t('handoffBody'));
    setStatus(t('connecting'), 'waiting');
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
    typingSent = 0;
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
  input.addEventListener('input', noteTyping);

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
    let url = streamURL + '?typing=1&token=' + encodeURIComponent(state.token);
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

  // reconnectNow skips the back-off: the browser says the network is back.
  function reconnectNow() {
    if (!wsWanted || ws || !state.token) return;
    clearTimeout(wsTimer);
    wsAttempt = 0;
    connect();
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
    if (ev.type === 'typing') {
      // Transient, not an event: no seq to remember.
      const d = ev.data || {};
      if (ev.conversation_id === state.conversationId && d.author_kind !== 'customer') showTyping(d.name);
      return;
    }
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
        note(t('joined', { name: data.assignee_name || t('someone') }));
      } else if (ev.type === 'conversation.resolved') {
        note(t('wasResolved'));
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
        refreshPresence();
        if (!presenceTimer) presenceTimer = setInterval(() => { if (isOpen) refreshPresence(); }, 60000);
        if (state.conversationId) {
          await refreshConversation();
          await fillGap();
        }
      })().catch((e) => {
        bootPromise = null;
        if (isOpen && !statusEl.textContent) setStatus(t('cantConnect'), 'error');
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
