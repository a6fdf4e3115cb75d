import { useEffect, useState } from 'preact/hooks';
import type { AccountKeyPair } from '../crypto/account-keys';
import { login, logout, plain, resume, forget } from './api';
import { explain, useHeadingFocus } from './ui';
import { createAccountKey, unlock } from './vault';
import { FilesScreen } from './files';

type Screen = 'loading' | 'login' | 'register' | 'verify' | 'unlock' | 'files' | 'delete-account';

/** Preact types an input's attributes by its type; the fields here are plain text inputs. */
function inputType(type: string): Record<string, string> {
  return { type };
}

function Field(props: { id: string; label: string; type?: 'text' | 'email' | 'password'; value: string; onInput: (v: string) => void; autocomplete?: string; hint?: string }) {
  return (
    <>
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        {...inputType(props.type ?? 'text')}
        value={props.value}
        required
        autocomplete={props.autocomplete}
        aria-describedby={props.hint ? `${props.id}-hint` : undefined}
        onInput={(e) => props.onInput((e.target as HTMLInputElement).value)}
      />
      {props.hint && <p id={`${props.id}-hint`} class="muted">{props.hint}</p>}
    </>
  );
}

function Form(props: { title: string; submit: string; onSubmit: () => Promise<void>; children: preact.ComponentChildren; footer?: preact.ComponentChildren }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const heading = useHeadingFocus();
  return (
    <section class="card">
      <h1 tabIndex={-1} ref={heading}>{props.title}</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          setError('');
          props.onSubmit().catch((err: unknown) => {
            setError(explain(err));
            setBusy(false);
          });
        }}
      >
        {props.children}
        {error && <p class="field-error" role="alert">{error}</p>}
        <button type="submit" disabled={busy}>{busy ? 'Please wait…' : props.submit}</button>
      </form>
      {props.footer}
    </section>
  );
}

export function App() {
  const [screen, setScreen] = useState<Screen>('loading');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [vaultPassword, setVaultPassword] = useState('');
  const [notice, setNotice] = useState('');
  const [pair, setPair] = useState<AccountKeyPair>();
  const [needsKey, setNeedsKey] = useState(false);

  useEffect(() => {
    void resume().then((ok) => setScreen(ok ? 'unlock' : 'login'));
  }, []);

  const signedOut = (message = '') => {
    forget();
    setPair(undefined);
    setPassword('');
    setVaultPassword('');
    setNotice(message);
    setScreen('login');
  };

  switch (screen) {
    case 'loading':
      return <p class="muted" role="status">Loading…</p>;
    case 'login':
      return (
        <Form
          key={screen}
          title="Log in to Coffer"
          submit="Log in"
          onSubmit={async () => {
            await login(email, password);
            setPassword('');
            setNotice('');
            setScreen('unlock');
          }}
          footer={
            <p>
              No account yet? <button type="button" class="secondary" onClick={() => setScreen('register')}>Create an account</button>
            </p>
          }
        >
          {notice && <p role="status">{notice}</p>}
          <Field id="email" label="E-mail" type="email" autocomplete="username" value={email} onInput={setEmail} />
          <Field id="password" label="Password" type="password" autocomplete="current-password" value={password} onInput={setPassword} />
        </Form>
      );
    case 'register':
      return (
        <Form
          key={screen}
          title="Create an account"
          submit="Register"
          onSubmit={async () => {
            await plain('POST', '/api/user/register', { email, password });
            setScreen('verify');
          }}
          footer={<button type="button" class="secondary" onClick={() => setScreen('login')}>Back to log in</button>}
        >
          <Field id="email" label="E-mail" type="email" autocomplete="username" value={email} onInput={setEmail} />
          <Field id="password" label="Password" type="password" autocomplete="new-password" value={password} onInput={setPassword} hint="8 to 1024 characters." />
        </Form>
      );
    case 'verify':
      return (
        <Form
          key={screen}
          title="Check your e-mail"
          submit="Verify"
          onSubmit={async () => {
            await plain('PATCH', '/api/user/verify', { email, otp: code.trim() });
            await login(email, password);
            setPassword('');
            setScreen('unlock');
          }}
          footer={
            <button type="button" class="secondary" onClick={() => void plain('POST', '/api/user/verify/resend', { email }).then(() => setNotice('A new code is on its way.'))}>
              Send a new code
            </button>
          }
        >
          <p>We sent a 6-digit code to <span class="file-name">{email}</span>.</p>
          {notice && <p role="status">{notice}</p>}
          <Field id="otp" label="Code" autocomplete="one-time-code" value={code} onInput={setCode} />
        </Form>
      );
    case 'unlock':
      return (
        <Form
          key={screen}
          title={needsKey ? 'Create your account key' : 'Unlock your files'}
          submit={needsKey ? 'Create the key' : 'Unlock'}
          onSubmit={async () => {
            if (needsKey) {
              setPair(await createAccountKey(vaultPassword));
            } else {
              const unlocked = await unlock(vaultPassword);
              if (unlocked === false) {
                setNeedsKey(true);
                throw new Error('Your account has no key yet. Choose a vault password to create one (as `coffer keys init` does), or run `coffer keys init` with the CLI.');
              }
              setPair(unlocked);
            }
            setVaultPassword('');
            setScreen('files');
          }}
          footer={<button type="button" class="secondary" onClick={() => void logout().finally(() => signedOut('You are logged out.'))}>Log out</button>}
        >
          <p class="muted">Your vault password never leaves this page: it unlocks your private key here, in memory.</p>
          {needsKey && <p>Lose this password (and have no recovery code from <code>coffer keys recovery</code>) and your files are gone: nobody can decrypt them.</p>}
          <Field id="vault-password" label="Vault password" type="password" autocomplete="current-password" value={vaultPassword} onInput={setVaultPassword} />
        </Form>
      );
    case 'files':
      return pair ? (
        <FilesScreen
          pair={pair}
          onLogout={() => void logout().finally(() => signedOut('You are logged out.'))}
          onDeleteAccount={() => setScreen('delete-account')}
          onSessionLost={() => signedOut('Your session ended; log in again.')}
        />
      ) : null;
    case 'delete-account':
      return (
        <Form
          key={screen}
          title="Delete your account"
          submit="Delete my account and every file"
          onSubmit={async () => {
            await plain('DELETE', '/api/user', { email, password });
            await logout().catch(() => undefined);
            signedOut('Your account and every file are deleted.');
          }}
          footer={<button type="button" class="secondary" onClick={() => setScreen('files')}>Cancel</button>}
        >
          <p>Every file, link and key of the account is deleted at once. This cannot be undone.</p>
          <Field id="email" label="E-mail" type="email" autocomplete="username" value={email} onInput={setEmail} />
          <Field id="password" label="Account password" type="password" autocomplete="current-password" value={password} onInput={setPassword} />
        </Form>
      );
  }
}
