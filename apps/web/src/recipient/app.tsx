import { useEffect, useRef, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { fromBase64, fromBase64Url, type Bytes } from '../crypto/bytes';
import type { DecryptResult } from '../crypto/decrypt';
import { DecryptionError } from '../crypto/decryption-error';
import { deriveKeyFromPassphrase, KdfParamsError, parseKdfParams, type KdfParams } from '../crypto/kdf';
import { checkKeyBeforeDownload, TamperedError, WrongKeyError } from '../crypto/key-check';
import { plaintextSizeOf } from '../crypto/blob-format';
import { checkDownloadAllowed, fetchMeta, LinkRefused, NetworkError, type FileMeta } from './api';
import { downloadAndDecrypt, type Progress } from './download';
import { formatBytes, formatDuration, formatResetTime } from './format';
import { readShareLink, type ShareLink } from './link';
import { canStreamToDisk, memorySink, MEMORY_SINK_LIMIT, pickFileSink, SMALL_FILE_LIMIT, streamSink, type PlaintextSink } from './sinks';

/** A key that passed every check the public meta allows, and what is known of the file. */
interface ReadyFile {
  dek: Bytes;
  name: string;
  mediaType: string;
  size: number;
  sha256?: string;
  commitment?: string;
  /** The commitment or the metadata record proved the key: a later failure means tampering. */
  proven: boolean;
}

type Screen =
  | { kind: 'loading' }
  | { kind: 'bad-link' }
  | { kind: 'not-found' }
  | { kind: 'network'; retry: () => void; during: 'meta' | 'download' }
  | { kind: 'busy'; retryAfterSeconds: number }
  | { kind: 'limit'; resetsAt: Date }
  | { kind: 'passphrase'; kdf: KdfParams; salt: Bytes; error?: string; working?: boolean }
  | { kind: 'key'; error?: string }
  | { kind: 'ready'; file: ReadyFile }
  | { kind: 'downloading'; file: ReadyFile; progress: Progress }
  | { kind: 'done'; file: ReadyFile; result: DecryptResult; savedBy: PlaintextSink['kind'] }
  | { kind: 'wrong-key' }
  | { kind: 'tampered'; downloaded: boolean; savedBy?: PlaintextSink['kind'] }
  | { kind: 'unreadable'; proven: boolean; savedBy?: PlaintextSink['kind'] }
  | { kind: 'too-large'; file: ReadyFile }
  | { kind: 'unsupported'; reason: string };

export function RecipientApp() {
  const [link] = useState<ShareLink | undefined>(() => readShareLink(window.location));
  const [screen, setScreen] = useState<Screen>(link ? { kind: 'loading' } : { kind: 'bad-link' });
  const meta = useRef<FileMeta | undefined>(undefined);

  const fail = (error: unknown, during: 'meta' | 'download', retry: () => void): void => {
    if (error instanceof LinkRefused) {
      const r = error.refusal;
      if (r.kind === 'not-found') setScreen({ kind: 'not-found' });
      else if (r.kind === 'limit') setScreen({ kind: 'limit', resetsAt: r.resetsAt });
      else if (r.kind === 'rate-limited') setScreen({ kind: 'busy', retryAfterSeconds: r.retryAfterSeconds });
      else setScreen({ kind: 'network', retry, during });
    } else if (error instanceof NetworkError || error instanceof TypeError) {
      setScreen({ kind: 'network', retry, during });
    } else {
      setScreen({ kind: 'unsupported', reason: (error as Error).message });
    }
  };

  const load = async (): Promise<void> => {
    if (!link) return;
    setScreen({ kind: 'loading' });
    try {
      const m = await fetchMeta(link.owner, link.fileId);
      meta.current = m;
      await checkDownloadAllowed(link.owner, link.fileId);
      if (m.key_management_mode === 'passphrase') {
        const salt = fromBase64(m.passphrase_salt ?? '');
        if (!salt) throw new KdfParamsError('the file has no usable salt');
        setScreen({ kind: 'passphrase', kdf: parseKdfParams(m.kdf_params), salt });
      } else if (link.key) {
        await tryKey(link.key, 'fragment');
      } else {
        setScreen({ kind: 'key', error: link.badKey ? 'The key in the link is damaged: paste the key the sender gave you.' : undefined });
      }
    } catch (error) {
      fail(error, 'meta', () => void load());
    }
  };

  /** Checks a key against the uncounted meta: a wrong one never spends a download. */
  const tryKey = async (dek: Bytes, source: 'fragment' | 'typed' | 'passphrase'): Promise<void> => {
    const m = meta.current!;
    try {
      const checked = await checkKeyBeforeDownload(m, link!.fileId, dek);
      const record = checked.metadata;
      setScreen({
        kind: 'ready',
        file: {
          dek,
          name: record?.name ?? m.file_name,
          mediaType: record?.media_type ?? 'application/octet-stream',
          size: record?.size ?? plaintextSizeOf(m.encrypted_size_bytes),
          sha256: record?.sha256 ?? (m.plaintext_hash || undefined),
          commitment: m.key_commitment ?? undefined,
          proven: Boolean(checked.committed || record),
        },
      });
    } catch (error) {
      if (error instanceof WrongKeyError) {
        if (source === 'passphrase') setScreen((s) => (s.kind === 'passphrase' ? { ...s, working: false, error: 'Wrong passphrase. Nothing was downloaded; try again.' } : s));
        else if (source === 'typed') setScreen({ kind: 'key', error: 'This key does not open the file. Nothing was downloaded.' });
        else setScreen({ kind: 'wrong-key' });
      } else if (error instanceof TamperedError) {
        setScreen({ kind: 'tampered', downloaded: false });
      } else {
        throw error;
      }
    }
  };

  const unlock = async (passphrase: string): Promise<void> => {
    if (screen.kind !== 'passphrase') return;
    setScreen({ ...screen, working: true, error: undefined });
    try {
      await tryKey(await deriveKeyFromPassphrase(passphrase, screen.salt, screen.kdf), 'passphrase');
    } catch (error) {
      setScreen({ kind: 'unsupported', reason: `The passphrase could not be checked: ${(error as Error).message}` });
    }
  };

  const useTypedKey = async (text: string): Promise<void> => {
    const dek = fromBase64Url(text, 32);
    if (!dek) {
      setScreen({ kind: 'key', error: 'That is not a Coffer file key (43 or 44 characters of base64).' });
      return;
    }
    await tryKey(dek, 'typed').catch((error: Error) => setScreen({ kind: 'unsupported', reason: error.message }));
  };

  const download = async (file: ReadyFile): Promise<void> => {
    // The size the metadata record proves (checked before the file is kept); unknown otherwise.
    const provenSize = file.proven && file.size >= 0 && meta.current!.encrypted_metadata ? file.size : undefined;
    // File System Access where the browser has it; else a Blob for small files, a service-worker
    // stream for large ones, and a Blob up to MEMORY_SINK_LIMIT where service workers are missing.
    let sink: PlaintextSink | undefined;
    if (canStreamToDisk()) {
      sink = await pickFileSink(file.name);
      if (!sink) return; // the save dialog was cancelled
    } else {
      if (file.size > SMALL_FILE_LIMIT) {
        try {
          sink = await streamSink(file.name, provenSize ?? (file.commitment ? file.size : undefined));
        } catch (error) {
          setScreen({ kind: 'unsupported', reason: (error as Error).message });
          return;
        }
      }
      if (!sink && file.size > MEMORY_SINK_LIMIT) {
        setScreen({ kind: 'too-large', file });
        return;
      }
      sink ??= memorySink(file.name, file.mediaType);
    }
    const total = meta.current!.encrypted_size_bytes;
    setScreen({ kind: 'downloading', file, progress: { received: 0, total, bytesPerSecond: 0 } });
    try {
      const result = await downloadAndDecrypt({
        owner: link!.owner,
        fileId: link!.fileId,
        dek: file.dek,
        commitment: file.commitment,
        sha256: file.sha256,
        size: provenSize,
        total,
        sink,
        signal: new AbortController().signal,
        onProgress: (progress) => setScreen((s) => (s.kind === 'downloading' ? { ...s, progress } : s)),
      });
      setScreen({ kind: 'done', file, result, savedBy: sink.kind });
    } catch (error) {
      if (error instanceof DecryptionError) setScreen(file.proven ? { kind: 'tampered', downloaded: true, savedBy: sink.kind } : { kind: 'unreadable', proven: false, savedBy: sink.kind });
      else fail(error, 'download', () => setScreen({ kind: 'ready', file }));
    }
  };

  useEffect(() => void load(), []);

  return <Screens screen={screen} onUnlock={unlock} onKey={useTypedKey} onDownload={download} onRetryLoad={() => void load()} />;
}

interface ScreensProps {
  screen: Screen;
  onUnlock: (passphrase: string) => Promise<void>;
  onKey: (key: string) => Promise<void>;
  onDownload: (file: ReadyFile) => Promise<void>;
  onRetryLoad: () => void;
}

function Screens({ screen, onUnlock, onKey, onDownload, onRetryLoad }: ScreensProps) {
  switch (screen.kind) {
    case 'loading':
      return (
        <Card title="Opening the shared file…" id="loading">
          <p class="muted">Reading the link. Nothing is downloaded yet.</p>
        </Card>
      );
    case 'bad-link':
      return (
        <Card title="This is not a share link" tone="error" id="bad-link">
          <p>A Coffer link looks like <code>/s/usrh-…/&lt;file id&gt;#&lt;key&gt;</code>. Check that you copied all of it.</p>
        </Card>
      );
    case 'not-found':
      return (
        <Card title="File not found" tone="error" id="not-found">
          <p>There is no file behind this link. It may be mistyped, or the file was deleted by its owner.</p>
        </Card>
      );
    case 'network':
      return (
        <Card title="Network error" tone="error" id="network">
          <p>{screen.during === 'download' ? 'The connection broke during the download. Nothing was saved.' : 'The server could not be reached.'}</p>
          {screen.during === 'download' && <p class="muted">Trying again uses another of today's downloads of this file.</p>}
          <button type="button" onClick={screen.retry}>
            Try again
          </button>
        </Card>
      );
    case 'busy':
      return (
        <Card title="Too many requests" tone="error" id="busy">
          <p>This network made too many requests. Try again in {formatDuration(screen.retryAfterSeconds)}.</p>
          <button type="button" onClick={onRetryLoad}>
            Try again
          </button>
        </Card>
      );
    case 'limit':
      return (
        <Card title="Daily download limit reached" tone="error" id="limit">
          <p>This file was downloaded as often as its owner allows for today.</p>
          <p>
            It can be downloaded again from <strong>{formatResetTime(screen.resetsAt)}</strong>.
          </p>
        </Card>
      );
    case 'passphrase':
      return <PassphraseForm screen={screen} onUnlock={onUnlock} />;
    case 'key':
      return <KeyForm error={screen.error} onKey={onKey} />;
    case 'ready':
      return <ReadyCard file={screen.file} onDownload={onDownload} />;
    case 'downloading':
      return <DownloadProgress file={screen.file} progress={screen.progress} />;
    case 'done':
      return (
        <Card title="Decrypted and saved" tone="done" id="done">
          <p class="file-name">{screen.file.name}</p>
          <p>
            {formatBytes(screen.result.plaintextSize)}, every part verified{screen.result.legacy ? '' : ', complete and in order'}.
          </p>
          <p class="muted">{screen.savedBy === 'file-system' ? 'It is in the place you chose.' : 'Your browser saved it to your downloads.'}</p>
          {screen.result.legacy && <p class="muted">This file was made by another client: its completeness is checked by its hash only.</p>}
        </Card>
      );
    case 'wrong-key':
      return (
        <Card title="Wrong key" tone="error" id="wrong-key">
          <p>The key in this link does not open the file. Nothing was downloaded, and none of today's downloads was used.</p>
          <p class="muted">Ask the sender for the link again, exactly as <code>coffer share</code> printed it.</p>
        </Card>
      );
    case 'tampered':
      return (
        <Card title="The file was tampered with" tone="error" id="tampered">
          <p>The key is right, but the {screen.downloaded ? 'downloaded data does' : "file's record does"} not authenticate: someone changed it, or it was damaged.</p>
          <p>{screen.downloaded ? <NothingKept savedBy={screen.savedBy} /> : 'Nothing was downloaded.'}</p>
          <p class="muted">Ask the sender to upload it again.</p>
        </Card>
      );
    case 'unreadable':
      return (
        <Card title="Wrong key or damaged file" tone="error" id="unreadable">
          <p>The file did not decrypt. This file has no key commitment, so a wrong key and a damaged file look the same.</p>
          <p>
            <NothingKept savedBy={screen.savedBy} />
          </p>
        </Card>
      );
    case 'too-large':
      return (
        <Card title="Too large for this browser" tone="error" id="too-large">
          <p>
            {screen.file.name} is {formatBytes(screen.file.size)}. This browser cannot write a file to disk as it decrypts it, and holding it in memory could fail.
          </p>
          <p>Open the link in Chrome, Edge or another Chromium browser, or use the <code>coffer</code> command-line client.</p>
        </Card>
      );
    case 'unsupported':
      return (
        <Card title="This file cannot be opened here" tone="error" id="unsupported">
          <p>{screen.reason}</p>
        </Card>
      );
  }
}

/** What became of the partial plaintext when the checks failed: removed, except from a streamed download, which the browser only marks failed. */
function NothingKept({ savedBy }: { savedBy?: PlaintextSink['kind'] }) {
  if (savedBy === 'stream') return <>The download was stopped before its end, and your browser marks it as failed. If a partial file remains in your downloads, delete it: it is not the file.</>;
  return <>Nothing was saved; the partial file was removed.</>;
}

function Card({ title, tone, id, children }: { title: string; tone?: 'error' | 'done'; id: string; children: ComponentChildren }) {
  const heading = useRef<HTMLHeadingElement>(null);
  // Every new screen takes the focus to its heading, so keyboard and screen-reader users follow.
  useEffect(() => heading.current?.focus(), [id]);
  return (
    <section class={`card ${tone ?? ''}`} data-screen={id} aria-labelledby="screen-title">
      <h1 id="screen-title" tabIndex={-1} ref={heading}>
        {title}
      </h1>
      {children}
    </section>
  );
}

function PassphraseForm({ screen, onUnlock }: { screen: Extract<Screen, { kind: 'passphrase' }>; onUnlock: (p: string) => Promise<void> }) {
  const [value, setValue] = useState('');
  return (
    <Card title="This file is protected by a passphrase" id="passphrase">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (value) void onUnlock(value);
        }}
      >
        <label for="passphrase">Passphrase</label>
        <input
          id="passphrase"
          type="password"
          autoComplete="off"
          value={value}
          onInput={(e) => setValue(e.currentTarget.value)}
          aria-invalid={screen.error ? 'true' : undefined}
          aria-describedby={screen.error ? 'passphrase-error' : 'passphrase-hint'}
          disabled={screen.working}
          required
        />
        <p id="passphrase-hint" class="muted">
          Checked in your browser before anything is downloaded; it never leaves this page.
        </p>
        {screen.error && (
          <p id="passphrase-error" class="field-error" role="alert">
            {screen.error}
          </p>
        )}
        <button type="submit" disabled={screen.working}>
          {screen.working ? 'Checking…' : 'Unlock'}
        </button>
        <p class="sr-only" aria-live="polite">
          {screen.working ? 'Checking the passphrase' : ''}
        </p>
      </form>
    </Card>
  );
}

function KeyForm({ error, onKey }: { error?: string; onKey: (k: string) => Promise<void> }) {
  const [value, setValue] = useState('');
  return (
    <Card title="Enter the file key" id="key">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (value) void onKey(value);
        }}
      >
        <p>The link has no key after its <code>#</code>. Paste the key the sender gave you.</p>
        <label for="file-key">File key</label>
        <input id="file-key" type="text" autoComplete="off" spellcheck={false} value={value} onInput={(e) => setValue(e.currentTarget.value)} aria-invalid={error ? 'true' : undefined} aria-describedby={error ? 'key-error' : undefined} required />
        {error && (
          <p id="key-error" class="field-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit">Open</button>
      </form>
    </Card>
  );
}

function ReadyCard({ file, onDownload }: { file: ReadyFile; onDownload: (f: ReadyFile) => Promise<void> }) {
  return (
    <Card title="Ready to download" id="ready">
      <dl class="facts">
        <dt>Name</dt>
        <dd class="file-name">{file.name}</dd>
        <dt>Size</dt>
        <dd>
          {formatBytes(file.size)}
          {file.size >= 1024 ? ` (${file.size.toLocaleString('en')} bytes)` : ''}
        </dd>
      </dl>
      <p class="muted">{file.proven ? 'The key is right. The file is decrypted in your browser as it downloads; the server never sees it.' : 'This file has no key commitment: the key can only be checked while decrypting.'}</p>
      <button type="button" onClick={() => void onDownload(file)}>
        Download and decrypt
      </button>
    </Card>
  );
}

function DownloadProgress({ file, progress }: { file: ReadyFile; progress: Progress }) {
  const percent = progress.total > 0 ? Math.min(100, Math.floor((progress.received / progress.total) * 100)) : 0;
  return (
    <Card title="Downloading and decrypting…" id="downloading">
      <p class="file-name">{file.name}</p>
      <progress id="download-progress" max={100} value={percent} aria-label="Download progress">
        {percent}%
      </progress>
      <p aria-live="polite" role="status" data-testid="progress-text">
        {percent}% · {formatBytes(progress.received)} of {formatBytes(progress.total)}
        {progress.bytesPerSecond > 0 ? ` · ${formatBytes(progress.bytesPerSecond)}/s` : ''}
        {progress.secondsLeft !== undefined ? ` · ${formatDuration(progress.secondsLeft)} left` : ''}
      </p>
      <p class="muted">Keep this page open. Nothing is saved until every part has been verified.</p>
    </Card>
  );
}
