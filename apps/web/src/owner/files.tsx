import { useEffect, useRef, useState } from 'preact/hooks';
import type { AccountKeyPair } from '../crypto/account-keys';
import { ApiError } from './api';
import { formatDuration } from '../recipient/format';
import { TransferRate, type RateReading } from './transfer-rate';
import { explain, useHeadingFocus } from './ui';
import { deleteFile, listFiles, uploadFile, usage, webLink, type OwnedFile, type UploadProgress, type Usage } from './vault';

const PAGE_SIZE = 20;
/** Progress redraws at most this often: four PUTs in flight report many times a second. */
const REDRAW_MS = 250;

/** The reason a cancelled upload stops with: not an error to show. */
class UploadCancelled extends Error {
  override readonly name = 'UploadCancelled';
}

interface UploadState extends UploadProgress, RateReading {
  name: string;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

function percent(progress: UploadProgress): number {
  return progress.total ? Math.floor((progress.done / progress.total) * 100) : 100;
}

interface Props {
  pair: AccountKeyPair;
  onLogout: () => void;
  onDeleteAccount: () => void;
  onSessionLost: () => void;
}

export function FilesScreen({ pair, onLogout, onDeleteAccount, onSessionLost }: Props) {
  const heading = useHeadingFocus();
  const [files, setFiles] = useState<OwnedFile[]>();
  const [quota, setQuota] = useState<Usage>();
  const [query, setQuery] = useState('');
  const [page, setPage] = useState(0);
  const [status, setStatus] = useState('');
  const [error, setError] = useState('');
  const [upload, setUpload] = useState<UploadState>();
  const cancelUpload = useRef<AbortController | undefined>(undefined);
  const [confirming, setConfirming] = useState<OwnedFile>();
  const [shared, setShared] = useState<{ file: OwnedFile; link: string }>();

  const fail = (err: unknown) => {
    if (err instanceof ApiError && err.code === 'INVALID_TOKEN') onSessionLost();
    else setError(explain(err));
  };

  const refresh = async () => {
    try {
      const [list, used] = await Promise.all([listFiles(pair), usage()]);
      setFiles(list.filter((f) => f.status === 'uploaded'));
      setQuota(used);
    } catch (err) {
      fail(err);
    }
  };
  useEffect(() => void refresh(), []);
  // A panel that opens takes the focus, so keyboard and screen-reader users land on it.
  useEffect(() => document.getElementById('share-link')?.focus(), [shared]);
  useEffect(() => document.getElementById('keep-file')?.focus(), [confirming]);

  const visible = (files ?? []).filter((f) => f.name.toLowerCase().includes(query.trim().toLowerCase()));
  const pages = Math.max(1, Math.ceil(visible.length / PAGE_SIZE));
  const shown = visible.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);

  const onUpload = async (input: HTMLInputElement) => {
    const chosen = [...(input.files ?? [])];
    input.value = '';
    setError('');
    const cancel = new AbortController();
    cancelUpload.current = cancel;
    for (const file of chosen) {
      // Each phase has its own speed: encrypting counts plaintext, uploading the encrypted bytes.
      let rate = new TransferRate();
      let shown = { phase: '', at: 0 };
      const show = (progress: UploadProgress) => {
        if (progress.phase !== shown.phase) rate = new TransferRate();
        const reading = rate.update(progress.done, progress.total);
        const now = performance.now();
        if (progress.phase === shown.phase && now - shown.at < REDRAW_MS && progress.done < progress.total) return;
        shown = { phase: progress.phase, at: now };
        setUpload({ name: file.name, ...progress, ...reading });
      };
      setUpload({ name: file.name, phase: 'encrypting', done: 0, total: file.size });
      try {
        await uploadFile(file, pair, show, { signal: cancel.signal });
        setStatus(`Uploaded ${file.name}.`);
      } catch (err) {
        if (cancel.signal.aborted) {
          setStatus(`The upload of ${file.name} was cancelled; nothing of it was kept.`);
          break;
        }
        fail(err);
      }
    }
    cancelUpload.current = undefined;
    setUpload(undefined);
    await refresh();
  };

  return (
    <section class="card">
      <div class="toolbar">
        <h1 tabIndex={-1} ref={heading}>Your files</h1>
        <button type="button" class="secondary" onClick={onLogout}>Log out</button>
      </div>
      {quota && (
        <p class="muted" id="usage">
          {formatBytes(quota.used_bytes)} of {formatBytes(quota.quota_bytes)} used · {quota.file_count} of {quota.max_files} files
        </p>
      )}

      <label for="upload">Upload files (encrypted here before they leave this page)</label>
      <input id="upload" type="file" multiple disabled={!!upload} onChange={(e) => void onUpload(e.target as HTMLInputElement)} />
      {upload && (
        <div class="upload" aria-live="polite">
          <label for="upload-progress">
            {upload.phase === 'encrypting' ? 'Encrypting' : upload.phase === 'uploading' ? 'Uploading' : 'Finishing'} {upload.name}
          </label>
          <progress id="upload-progress" max={100} value={percent(upload)}>{percent(upload)}%</progress>
          <span class="muted" id="upload-numbers">
            {percent(upload)}% · {formatBytes(upload.done)} of {formatBytes(upload.total)}
            {upload.phase !== 'finishing' && upload.bytesPerSecond !== undefined && ` · ${formatBytes(upload.bytesPerSecond)}/s`}
            {upload.phase !== 'finishing' && upload.secondsLeft !== undefined && ` · ${formatDuration(upload.secondsLeft)} left`}
          </span>
          {upload.phase !== 'finishing' && (
            <button type="button" class="secondary" onClick={() => cancelUpload.current?.abort(new UploadCancelled('The upload was cancelled'))}>
              Cancel upload
            </button>
          )}
        </div>
      )}
      <p role="status" class="muted">{status}</p>
      {error && <p class="field-error" role="alert">{error}</p>}

      <label for="search">Search by name</label>
      <input id="search" type="search" value={query} onInput={(e) => { setQuery((e.target as HTMLInputElement).value); setPage(0); }} />

      {files === undefined ? (
        <p class="muted" role="status">Loading your files…</p>
      ) : visible.length === 0 ? (
        <p class="muted">{files.length === 0 ? 'No files yet.' : 'No file matches.'}</p>
      ) : (
        <ul class="files" aria-label="Files">
          {shown.map((file) => (
            <li key={file.file_id} class="file-row">
              <span class="file-name">{file.name}</span>
              <span class="muted">{formatBytes(file.size ?? file.encrypted_size_bytes)} · {file.created_at.slice(0, 10)}</span>
              <span class="actions">
                <button
                  type="button"
                  class="secondary"
                  aria-label={`Share ${file.name}`}
                  onClick={() =>
                    void webLink(file).then(async (link) => {
                      setShared({ file, link });
                      await navigator.clipboard?.writeText(link).then(() => setStatus(`The link to ${file.name} is copied.`), () => undefined);
                    }, fail)
                  }
                >
                  Share
                </button>
                <button type="button" class="danger" aria-label={`Delete ${file.name}`} onClick={() => setConfirming(file)}>Delete</button>
              </span>
            </li>
          ))}
        </ul>
      )}
      {pages > 1 && (
        <nav class="pager" aria-label="Pages">
          <button type="button" class="secondary" disabled={page === 0} onClick={() => setPage(page - 1)}>Previous</button>
          <span>Page {page + 1} of {pages}</span>
          <button type="button" class="secondary" disabled={page >= pages - 1} onClick={() => setPage(page + 1)}>Next</button>
        </nav>
      )}

      {shared && (
        <div class="panel" role="region" aria-label="Share link">
          <label for="share-link">Link to {shared.file.name} (the key is after #, it never reaches the server)</label>
          <input id="share-link" type="text" readOnly value={shared.link} onFocus={(e) => (e.target as HTMLInputElement).select()} />
          <button type="button" class="secondary" onClick={() => setShared(undefined)}>Close</button>
        </div>
      )}

      {confirming && (
        <div class="panel" role="alertdialog" aria-labelledby="confirm-title">
          <p id="confirm-title">Delete <span class="file-name">{confirming.name}</span>? Its links stop working. This cannot be undone.</p>
          <button
            type="button"
            class="danger"
            onClick={() =>
              void deleteFile(confirming.file_id).then(async () => {
                setStatus(`Deleted ${confirming.name}.`);
                setConfirming(undefined);
                await refresh();
              }, fail)
            }
          >
            Delete for good
          </button>
          <button id="keep-file" type="button" class="secondary" onClick={() => setConfirming(undefined)}>Keep it</button>
        </div>
      )}

      <hr />
      <button type="button" class="secondary danger-text" onClick={onDeleteAccount}>Delete account…</button>
    </section>
  );
}
