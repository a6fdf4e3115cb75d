// Client state files: private (0600 in 0700) atomic writes and a cross-process lock. Used by
// libs/crypto's vault and by the CLI's credentials and settings.
export { LockTimeoutError, withFileLock, type FileLockOptions } from './file-lock';
export { ensurePrivateDir, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, writeFileAtomic } from './private-files';
