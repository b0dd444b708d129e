import { useState } from 'preact/hooks';
import { api, ApiError, messageOf } from '../api';
import { TextField } from '../components/fields';
import { Notice } from '../components/ui';
import { loadSession, Session } from '../session';

export function LoginPage(props: { onSignedIn: (session: Session) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api('POST', '/auth/v1/login', { body: { email, password } });
      setPassword('');
      props.onSignedIn(await loadSession());
    } catch (e) {
      setError(
        e instanceof ApiError && e.status === 401
          ? 'The email or the password is wrong.'
          : e instanceof ApiError && e.status === 429
            ? 'Too many attempts. Wait a minute and try again.'
            : messageOf(e),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="login">
      <form class="card login__card" onSubmit={(e) => void submit(e)} aria-labelledby="page-title" noValidate>
        <p class="brand brand--large">
          mailstrata <span>ops console</span>
        </p>
        <h1 id="page-title" tabIndex={-1}>
          Sign in
        </h1>
        {error ? <Notice kind="error">{error}</Notice> : null}
        <TextField name="email" label="Email" type="email" autoComplete="username" value={email} onValue={setEmail} required />
        <TextField
          name="password"
          label="Password"
          type="password"
          autoComplete="current-password"
          value={password}
          onValue={setPassword}
          required
        />
        <button type="submit" class="button button--primary button--wide" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {/* The service's own page: it emails a reset link through the account's route, and answers alike for every address. */}
        <p class="login__help">
          <a href="/auth/v1/password-reset">Forgot your password?</a>
        </p>
      </form>
    </main>
  );
}
