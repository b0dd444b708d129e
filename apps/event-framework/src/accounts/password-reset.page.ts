/**
 * The page a password-reset link opens, and its script. The token is in the URL fragment, which the
 * browser never sends to us; the script reads it and posts it with the new password. Without a token
 * the page asks for the address instead. The script is a file of its own (`script-src 'self'`), so the
 * page needs no inline script; no third-party assets.
 */
export const PASSWORD_RESET_PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

export const PASSWORD_RESET_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>Reset your password</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem}label,input,button{display:block;width:100%;margin:.5rem 0}input{padding:.5rem}button{padding:.6rem}#msg{min-height:1.5rem}[hidden]{display:none}</style>
<script src="password-reset/page.js" defer></script>
</head><body>
<h1>Reset your password</h1>
<form id="ask" hidden><label>Your email address<input id="email" type="email" autocomplete="email" required></label>
<button>Send me a reset link</button></form>
<form id="set" hidden><label>New password (at least 12 characters)<input id="p1" type="password" autocomplete="new-password" required minlength="12"></label>
<label>Repeat it<input id="p2" type="password" autocomplete="new-password" required minlength="12"></label>
<button>Set new password</button></form><p id="msg" role="status"></p>
</body></html>`;

export const PASSWORD_RESET_SCRIPT = `'use strict';
const token = new URLSearchParams(location.hash.slice(1)).get('token') || '';
history.replaceState(null, '', location.pathname);
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
  const res = await post('password-reset', { email: document.getElementById('email').value });
  msg.textContent = res.ok ? 'If an account exists for this address, a reset link is on its way.' : await explain(res);
  if (res.ok) ask.remove();
});
set.addEventListener('submit', async (e) => {
  e.preventDefault();
  const p1 = document.getElementById('p1').value, p2 = document.getElementById('p2').value;
  if (p1 !== p2) { msg.textContent = 'The two passwords differ.'; return; }
  const res = await post('password-reset/complete', { token, password: p1 });
  if (res.ok) { msg.textContent = 'Your password is set and every session is signed out. You can sign in now.'; set.remove(); return; }
  msg.textContent = await explain(res);
});
`;
