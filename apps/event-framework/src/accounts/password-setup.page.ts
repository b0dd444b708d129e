/**
 * The page a password-setup link opens. The token is in the URL fragment, which the browser never sends
 * to us; the page's script reads it and posts it with the chosen password. No third-party assets.
 */
export const PASSWORD_SETUP_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>Set your password</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem}label,input,button{display:block;width:100%;margin:.5rem 0}input{padding:.5rem}button{padding:.6rem}#msg{min-height:1.5rem}</style>
</head><body>
<h1>Set your password</h1>
<form id="f"><label>New password (at least 12 characters)<input id="p1" type="password" autocomplete="new-password" required minlength="12"></label>
<label>Repeat it<input id="p2" type="password" autocomplete="new-password" required minlength="12"></label>
<button>Set password</button></form><p id="msg" role="status"></p>
<script>
const token = new URLSearchParams(location.hash.slice(1)).get('token') || '';
history.replaceState(null, '', location.pathname);
const msg = document.getElementById('msg');
document.getElementById('f').addEventListener('submit', async (e) => {
  e.preventDefault();
  const p1 = document.getElementById('p1').value, p2 = document.getElementById('p2').value;
  if (p1 !== p2) { msg.textContent = 'The two passwords differ.'; return; }
  const res = await fetch('password-setup', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, password: p1 }) });
  if (res.ok) { msg.textContent = 'Your password is set. You can sign in now.'; e.target.remove(); return; }
  const problem = await res.json().catch(() => ({}));
  msg.textContent = (problem.errors && problem.errors[0] && 'Password ' + problem.errors[0].message) || problem.detail || 'That did not work.';
});
</script></body></html>`;
