/**
 * The pages a password-setup or password-reset link opens, and their one script. The token is in the URL
 * fragment, which the browser never sends to us; the script reads it and posts it with the new password.
 * Without a token a page asks for the address instead (a new setup link, or a reset link). The script is a
 * file of its own (`script-src 'self'`), so the pages need no inline script; no third-party assets. Once
 * the password is set, the page links to the ops console's sign-in.
 */
export type PasswordFlow = 'setup' | 'reset';

export const PASSWORD_PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const WORDING: Record<PasswordFlow, { title: string; ask: string; set: string }> = {
  setup: { title: 'Set your password', ask: 'Send me a new setup link', set: 'Set password' },
  reset: { title: 'Reset your password', ask: 'Send me a reset link', set: 'Set new password' },
};

const STYLE =
  'body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem}label,input,button{display:block;width:100%;margin:.5rem 0}input{padding:.5rem}button{padding:.6rem}#msg{min-height:1.5rem}[hidden]{display:none}';

export function passwordPage(flow: PasswordFlow): string {
  const w = WORDING[flow];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${w.title}</title>
<style>${STYLE}</style>
<script src="password-${flow}/page.js" defer></script>
</head><body data-flow="${flow}">
<h1>${w.title}</h1>
<form id="ask" hidden><label>Your email address<input id="email" type="email" autocomplete="email" required></label>
<button>${w.ask}</button></form>
<form id="set" hidden><label>New password (at least 12 characters)<input id="p1" type="password" autocomplete="new-password" required minlength="12"></label>
<label>Repeat it<input id="p2" type="password" autocomplete="new-password" required minlength="12"></label>
<button>${w.set}</button></form><p id="msg" role="status"></p>
<p id="done" hidden><a href="/console/">Sign in to the ops console</a></p>
</body></html>`;
}

export const PASSWORD_PAGE_SCRIPT = `'use strict';
const flow = document.body.dataset.flow === 'setup' ? 'setup' : 'reset';
const api = flow === 'setup'
  ? { ask: 'password-setup/resend', set: 'password-setup',
      asked: 'If a pending account exists for this address, a new setup link is on its way.',
      done: 'Your password is set. You can sign in now.' }
  : { ask: 'password-reset', set: 'password-reset/complete',
      asked: 'If an account exists for this address, a reset link is on its way.',
      done: 'Your password is set and every session is signed out. You can sign in now.' };
const token = new URLSearchParams(location.hash.slice(1)).get('token') || '';
history.replaceState(null, '', location.pathname);
// A link opened in a tab that already shows this page changes only the fragment: read it afresh.
addEventListener('hashchange', () => location.reload());
const msg = document.getElementById('msg');
const post = (url, body) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const explain = async (res) => {
  const problem = await res.json().catch(() => ({}));
  return (problem.errors && problem.errors[0] && 'Password ' + problem.errors[0].message) || problem.detail || 'That did not work.';
};
const ask = document.getElementById('ask'), set = document.getElementById('set');
(token ? set : ask).hidden = false;
ask.addEventListener('submit', async (e) => {
  e.preventDefault();
  const res = await post(api.ask, { email: document.getElementById('email').value });
  msg.textContent = res.ok ? api.asked : await explain(res);
  if (res.ok) ask.remove();
});
set.addEventListener('submit', async (e) => {
  e.preventDefault();
  const p1 = document.getElementById('p1').value, p2 = document.getElementById('p2').value;
  if (p1 !== p2) { msg.textContent = 'The two passwords differ.'; return; }
  const res = await post(api.set, { token, password: p1 });
  if (res.ok) { msg.textContent = api.done; set.remove(); document.getElementById('done').hidden = false; return; }
  msg.textContent = await explain(res);
});
`;
