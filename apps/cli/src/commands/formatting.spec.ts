import { formatDecrypted } from './decrypt';
import { formatFileList, withPlaintextSizes } from './files-list';
import { formatFileDetails } from './files-show';
import { formatShare } from './share';
import { formatUsage } from './usage';

const ID = '8c1f0d2e-2c77-4a43-9d57-0d9d1b0f8a3e';

describe('human output', () => {
  it('lists files as a table with short ids', () => {
    const text = formatFileList(
      withPlaintextSizes([{ file_id: ID, file_name: 'notes.txt', encrypted_size_bytes: 2080, status: 'uploaded', key_management_mode: 'vault', created_at: '2026-01-02T03:04:05Z' }]),
    );
    expect(text).toBe(['ID        NAME        SIZE   STORED  STATUS    MODE   CREATED', '8c1f0d2e  notes.txt  2 KiB  2.0 KiB  uploaded  vault  2026-01-02 03:04 UTC'].join('\n'));
  });

  it('lists the plaintext size beside the stored one', () => {
    const [listed] = withPlaintextSizes([{ file_id: ID, file_name: 'a', encrypted_size_bytes: 3 * 65_536 + 5 + 4 * 32, status: 'uploaded', key_management_mode: 'vault', created_at: '2026-01-02T03:04:05Z' }]);
    expect(listed.plaintext_size_bytes).toBe(3 * 65_536 + 5);
    expect(formatFileList([listed]).split('\n')[1]).toMatch(/^8c1f0d2e {2}a +192 KiB {2}192 KiB {2}uploaded/);
  });

  it('lists a pending upload (no mode, no stored size yet) without failing', () => {
    const text = formatFileList(
      withPlaintextSizes([{ file_id: ID, file_name: 'big.iso', encrypted_size_bytes: 0, status: 'pending', key_management_mode: null, created_at: '2026-01-02T03:04:05Z' }]),
    );
    expect(text.split('\n')[1]).toBe('8c1f0d2e  big.iso     -       -  pending  -     2026-01-02 03:04 UTC');
  });

  it('says when there are no files', () => {
    expect(formatFileList([])).toContain('No files yet');
  });

  it('shows a file with link and key', () => {
    const text = formatFileDetails({
      file_id: ID,
      file_name: 'a.txt',
      status: 'uploaded',
      plaintext_size_bytes: 5,
      encrypted_size_bytes: 37,
      s3_key: `usrh-x/${ID}`,
      key_management_mode: 'vault',
      plaintext_hash: 'ab'.repeat(32),
      link: 'http://s/files/download/usrh-x/' + ID,
      key: 'KEY',
    });
    expect(text).toContain(`ID       ${ID}`);
    expect(text).toContain('Size     5 B (5 bytes), encrypted 37 B');
    expect(text).toContain('Key      KEY');
  });

  it('gives the recipient command for vault and passphrase shares, shell-quoted', () => {
    const vault = formatShare({ file_id: ID, file_name: "it's.txt", mode: 'vault', link: 'http://s/l', web_url: 'http://s/s/o/f#k-_', key: 'k+/=' });
    expect(vault).toContain("coffer decrypt 'http://s/l' --key 'k+/='");
    expect(vault).toContain('Web:  http://s/s/o/f#k-_');
    const passphrase = formatShare({ file_id: ID, file_name: 'p.txt', mode: 'passphrase', link: 'http://s/l', web_url: 'http://s/s/o/f' });
    expect(passphrase).toContain('Web:  http://s/s/o/f\n');
    expect(passphrase).toContain('passphrase by another channel');
    expect(passphrase).not.toContain('--key');
  });

  it('shows usage with percentage and limits', () => {
    const text = formatUsage({ used_bytes: 1024 ** 3, reserved_bytes: 0, quota_bytes: 10 * 1024 ** 3, file_count: 3, max_files: 10_000, max_file_size_bytes: 5_000_000_000 });
    expect(text).toBe(['Storage   1 GiB of 10 GiB (10.0%)', 'Files     3 of 10000', 'Max file  4.7 GiB (encrypted size)'].join('\n'));
  });

  it('reports a decrypted file and whether its hash was checked', () => {
    const outcome = { path: '/tmp/a.txt', file_id: ID, file_name: 'a.txt', mode: 'vault' as const, size_bytes: 5, sha256: 'x', verified: true, legacy: false };
    expect(formatDecrypted(outcome)).toBe('Decrypted "a.txt" to /tmp/a.txt (5 B, plaintext SHA-256 verified).');
    expect(formatDecrypted({ ...outcome, verified: false })).toContain('not checked');
  });
});
