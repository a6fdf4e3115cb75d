import { UsageError } from './errors';
import { buildShareLink, buildWebLink, parseShareLink } from './share-link';

const HASH = 'usrh-00112233445566778899aabbccddeeff';
const ID = '8c1f0d2e-2c77-4a43-9d57-0d9d1b0f8a3e';

describe('parseShareLink', () => {
  it('takes a link apart into base, owner hash and file id', () => {
    expect(parseShareLink(`https://coffer.example/files/download/${HASH}/${ID}`)).toEqual({
      base: 'https://coffer.example',
      ownerHash: HASH,
      fileId: ID,
      downloadUrl: `https://coffer.example/files/download/${HASH}/${ID}`,
    });
  });

  it('keeps a port and a path prefix in the base (server behind a sub-path)', () => {
    const link = parseShareLink(`http://127.0.0.1:8080/coffer/files/download/${HASH}/${ID}/`);
    expect(link.base).toBe('http://127.0.0.1:8080/coffer');
    expect(link.downloadUrl).toBe(`http://127.0.0.1:8080/coffer/files/download/${HASH}/${ID}`);
  });

  it('lower-cases the file id and ignores surrounding whitespace', () => {
    expect(parseShareLink(`  https://x.example/files/download/${HASH}/${ID.toUpperCase()}\n`).fileId).toBe(ID);
  });

  it.each([
    ['not a URL', 'coffer'],
    ['another scheme', `ftp://x.example/files/download/${HASH}/${ID}`],
    ['a missing file id', `https://x.example/files/download/${HASH}`],
    ['a file id that is not a UUID', `https://x.example/files/download/${HASH}/not-a-uuid`],
    ['an owner hash with odd characters', `https://x.example/files/download/a%2Fb/${ID}`],
    ['another path', `https://x.example/files/meta/${HASH}/${ID}`],
  ])('refuses %s as a usage error', (_case, link) => {
    expect(() => parseShareLink(link)).toThrow(UsageError);
  });
});

describe('buildShareLink', () => {
  it('appends the object key to the server URL', () => {
    expect(buildShareLink('https://coffer.example/', `${HASH}/${ID}`)).toBe(`https://coffer.example/files/download/${HASH}/${ID}`);
  });

  it('round-trips through parseShareLink', () => {
    const link = buildShareLink('http://127.0.0.1:4000', `${HASH}/${ID}`);
    expect(parseShareLink(link)).toMatchObject({ base: 'http://127.0.0.1:4000', ownerHash: HASH, fileId: ID });
  });
});

describe('buildWebLink', () => {
  it('puts a vault-mode key in the fragment as unpadded base64url, and nothing for passphrase files', () => {
    const key = Buffer.from('fbff' + '00'.repeat(30), 'hex');
    expect(buildWebLink('https://coffer.example/', `${HASH}/${ID}`, key)).toBe(`https://coffer.example/s/${HASH}/${ID}#-_8${'A'.repeat(40)}`);
    expect(buildWebLink('https://coffer.example', `${HASH}/${ID}`)).toBe(`https://coffer.example/s/${HASH}/${ID}`);
  });
});
