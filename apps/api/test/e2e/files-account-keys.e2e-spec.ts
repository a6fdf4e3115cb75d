import { randomBytes } from 'node:crypto';
import { startTestApp, TestApp } from '../../../../test/helpers/test-app';
import { createVerifiedUser, TestUser } from '../../../../test/helpers/users';
import { call, HttpResult } from '../../../../test/helpers/http';
import { login, registerVerified } from './auth.e2e-helpers';
import { complete, fileRow, presign, putBlob, uploadFile } from './files.e2e-helpers';

/** A sealed key of docs/FORMAT.md's shape: 0x01, then 80 bytes (ephemeral key, ciphertext, tag). */
const sealedKey = (version = 0x01, length = 81) => Buffer.concat([Buffer.from([version]), randomBytes(length - 1)]).toString('base64');
const metadataRecord = () => randomBytes(1 + 12 + 128 + 16).toString('base64');
const noncePrefix = () => randomBytes(7).toString('hex');

function putSealedKey(t: TestApp, user: TestUser, body: unknown): Promise<HttpResult> {
  return call(t, 'PUT', '/api/files/sealed-key', { user, body });
}

async function details(t: TestApp, user: TestUser, fileId: string) {
  const res = await call(t, 'GET', `/api/files?id=${fileId}`, { user });
  expect(res.status).toBe(200);
  return res.body[0];
}

async function listed(t: TestApp, user: TestUser, fileId: string) {
  const res = await call(t, 'GET', '/api/files/all', { user });
  expect(res.status).toBe(200);
  return res.body.find((f: { file_id: string }) => f.file_id === fileId);
}

describe('files with account keys', () => {
  let t: TestApp;
  let alice: TestUser;

  beforeAll(async () => {
    t = await startTestApp();
    alice = await createVerifiedUser(t);
  });

  afterAll(() => t?.close());

  describe('complete with sealed_key, encrypted_metadata and nonce_prefix', () => {
    it('stores them and answers them in details, the listing and (without the sealed key) the public meta', async () => {
      const fields = { sealed_key: sealedKey(), encrypted_metadata: metadataRecord(), nonce_prefix: noncePrefix() };
      const { fileId, key } = await uploadFile(t, alice, { name: 'encrypted', complete: fields });

      expect(await details(t, alice, fileId)).toMatchObject({ ...fields, file_name: 'encrypted', plaintext_hash: '' });
      expect(await listed(t, alice, fileId)).toMatchObject(fields);

      const meta = await call(t, 'GET', `/files/meta/${key}`);
      expect(meta.status).toBe(200);
      expect(meta.body).toEqual({
        file_name: 'encrypted',
        key_management_mode: 'vault',
        passphrase_salt: '',
        kdf_params: null,
        key_commitment: null,
        encrypted_size_bytes: 100,
        plaintext_hash: '',
        encrypted_metadata: fields.encrypted_metadata,
        nonce_prefix: fields.nonce_prefix,
      });
      expect(meta.body).not.toHaveProperty('sealed_key');
    });

    it('answers null for each field a complete left out or sent as null, in every view', async () => {
      const { fileId, key } = await uploadFile(t, alice, { complete: { nonce_prefix: noncePrefix(), sealed_key: null } });
      expect(await details(t, alice, fileId)).toMatchObject({ sealed_key: null, encrypted_metadata: null, nonce_prefix: expect.any(String) });
      expect(await listed(t, alice, fileId)).toMatchObject({ sealed_key: null, encrypted_metadata: null });
      expect((await call(t, 'GET', `/files/meta/${key}`)).body).toMatchObject({ encrypted_metadata: null });
    });

    it('keeps the fields of the first complete when complete is repeated', async () => {
      const first = { sealed_key: sealedKey(), encrypted_metadata: metadataRecord(), nonce_prefix: noncePrefix() };
      const { fileId } = await uploadFile(t, alice, { complete: first });
      const again = await complete(t, alice, fileId, { sealed_key: sealedKey(), encrypted_metadata: metadataRecord(), nonce_prefix: noncePrefix() });
      expect(again.status).toBe(200);
      expect(await details(t, alice, fileId)).toMatchObject(first);
    });

    const bad: [string, Record<string, unknown>][] = [
      ['sealed_key of 80 bytes', { sealed_key: sealedKey(1, 80) }],
      ['sealed_key of 82 bytes', { sealed_key: sealedKey(1, 82) }],
      ['sealed_key of version 2', { sealed_key: sealedKey(2) }],
      ['sealed_key of version 0', { sealed_key: sealedKey(0) }],
      ['sealed_key in base64url', { sealed_key: Buffer.concat([Buffer.from([1]), Buffer.alloc(80, 0xff)]).toString('base64url') }],
      ['sealed_key not a string', { sealed_key: 81 }],
      ['nonce_prefix of 13 hex characters', { nonce_prefix: noncePrefix().slice(1) }],
      ['nonce_prefix of 16 hex characters', { nonce_prefix: `${noncePrefix()}00` }],
      ['nonce_prefix in upper case', { nonce_prefix: 'ABCDEF01234567' }],
      ['nonce_prefix not hex', { nonce_prefix: 'zzzzzzzzzzzzzz' }],
      ['encrypted_metadata over 4096 characters', { encrypted_metadata: randomBytes(3075).toString('base64') }],
      ['encrypted_metadata not base64', { encrypted_metadata: 'not base64!' }],
      ['encrypted_metadata empty', { encrypted_metadata: '' }],
      ['encrypted_metadata an object', { encrypted_metadata: { name: 'x' } }],
    ];

    it.each(bad)('refuses %s with 400 and leaves the file pending', async (_name, extra) => {
      const bytes = randomBytes(64);
      const p = await presign(t, alice, { file_name: 'x', mime_type: 'application/octet-stream', size: bytes.length });
      expect(await putBlob(p.body.upload_resource, bytes)).toBe(200);

      const res = await complete(t, alice, p.body.file_id, extra);

      expect(res).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED', error: expect.any(String) } });
      expect(await fileRow(t, p.body.file_id)).toMatchObject({ status: 'pending', sealedKey: null, encryptedMetadata: null, noncePrefix: null });
    });

    it('accepts encrypted_metadata of exactly 4096 characters', async () => {
      const record = randomBytes(3072).toString('base64');
      expect(record).toHaveLength(4096);
      const { fileId } = await uploadFile(t, alice, { complete: { encrypted_metadata: record } });
      expect((await details(t, alice, fileId)).encrypted_metadata).toBe(record);
    });
  });

  describe('PUT /api/files/sealed-key', () => {
    it('records the sealed key of a file uploaded without one, and answers 204 again for the same key', async () => {
      const { fileId } = await uploadFile(t, alice);
      const key = sealedKey();

      const first = await putSealedKey(t, alice, { file_id: fileId, sealed_key: key });
      expect(first).toMatchObject({ status: 204, body: '' });
      expect(await details(t, alice, fileId)).toMatchObject({ sealed_key: key });

      expect((await putSealedKey(t, alice, { file_id: fileId, sealed_key: key })).status).toBe(204);
      expect(await details(t, alice, fileId)).toMatchObject({ sealed_key: key });
    });

    it('never replaces a stored sealed key: 409 KEY_MISMATCH, the stored one kept', async () => {
      const key = sealedKey();
      const { fileId } = await uploadFile(t, alice, { complete: { sealed_key: key } });

      const res = await putSealedKey(t, alice, { file_id: fileId, sealed_key: sealedKey() });

      expect(res).toMatchObject({ status: 409, body: { code: 'KEY_MISMATCH' } });
      expect(await details(t, alice, fileId)).toMatchObject({ sealed_key: key });
    });

    it('lets exactly one of concurrent different keys in; the others get 409', async () => {
      const { fileId } = await uploadFile(t, alice);
      const keys = Array.from({ length: 8 }, () => sealedKey());

      const answers = await Promise.all(keys.map((key) => putSealedKey(t, alice, { file_id: fileId, sealed_key: key })));

      const winners = keys.filter((_, i) => answers[i].status === 204);
      expect(winners).toHaveLength(1);
      expect(answers.filter((a) => a.status !== 204).map((a) => a.body.code)).toEqual(Array.from({ length: 7 }, () => 'KEY_MISMATCH'));
      expect(await details(t, alice, fileId)).toMatchObject({ sealed_key: winners[0] });
    });

    it("answers 404 for another user's file, a pending, failed or deleted file and an unknown id, writing nothing", async () => {
      const bob = await createVerifiedUser(t);
      const bobs = await uploadFile(t, bob);
      const pending = await presign(t, alice, { file_name: 'p', mime_type: 'application/octet-stream', size: 10 });
      const deleted = await uploadFile(t, alice);
      expect((await call(t, 'DELETE', `/api/files?id=${deleted.fileId}`, { user: alice })).status).toBe(204);
      const failed = await presign(t, alice, { file_name: 'f', mime_type: 'application/octet-stream', size: 10 });
      expect(await putBlob(failed.body.upload_resource, randomBytes(10))).toBe(200);
      await t.database.prisma.file.update({ where: { id: failed.body.file_id }, data: { status: 'failed' } });

      for (const fileId of [bobs.fileId, pending.body.file_id, deleted.fileId, failed.body.file_id, '00000000-0000-4000-8000-000000000000']) {
        const res = await putSealedKey(t, alice, { file_id: fileId, sealed_key: sealedKey() });
        expect({ fileId, status: res.status, code: res.body.code }).toEqual({ fileId, status: 404, code: 'NOT_FOUND' });
        expect((await fileRow(t, fileId))?.sealedKey ?? null).toBeNull();
      }
    });

    const bad: [string, unknown][] = [
      ['no fields', {}],
      ['sealed_key missing', { file_id: '00000000-0000-4000-8000-000000000000' }],
      ['sealed_key null', { file_id: '00000000-0000-4000-8000-000000000000', sealed_key: null }],
      ['sealed_key of version 2', { file_id: '00000000-0000-4000-8000-000000000000', sealed_key: sealedKey(2) }],
      ['sealed_key of 80 bytes', { file_id: '00000000-0000-4000-8000-000000000000', sealed_key: sealedKey(1, 80) }],
      ['file_id a prefix', { file_id: '00000000', sealed_key: sealedKey() }],
      ['file_id in upper case', { file_id: '0000000A-0000-4000-8000-000000000000', sealed_key: sealedKey() }],
      ['an unknown field', { file_id: '00000000-0000-4000-8000-000000000000', sealed_key: sealedKey(), extra: 1 }],
    ];

    it.each(bad)('refuses %s with 400 VALIDATION_FAILED', async (_name, body) => {
      expect(await putSealedKey(t, alice, body)).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    });

    it('refuses a request without a bearer token with 401', async () => {
      const res = await call(t, 'PUT', '/api/files/sealed-key', { body: { file_id: '00000000-0000-4000-8000-000000000000', sealed_key: sealedKey() } });
      expect(res).toMatchObject({ status: 401, body: { code: 'INVALID_TOKEN' } });
    });
  });

  it("deleting the account deletes its keys (and nobody else's)", async () => {
    const leaving = await registerVerified(t, `keys-leaving-${randomBytes(4).toString('hex')}@example.com`);
    const session = await login(t, leaving.email, leaving.password);
    const user: TestUser = { id: leaving.id, email: leaving.email, accessToken: session.access_token, auth: { Authorization: `Bearer ${session.access_token}` } };
    const put = await call(t, 'PUT', '/api/keys', { user, body: { public_key: randomBytes(32).toString('base64'), bundle: '{"v":1}', version: 0 } });
    expect(put.status).toBe(200);
    expect((await call(t, 'PUT', '/api/keys', { user: alice, body: { public_key: randomBytes(32).toString('base64'), bundle: '{"v":1}', version: 0 } })).status).toBe(200);

    expect((await call(t, 'DELETE', '/api/user', { body: { email: leaving.email, password: leaving.password } })).status).toBe(204);

    expect(await t.database.prisma.accountKey.count({ where: { userId: leaving.id } })).toBe(0);
    expect(await t.database.prisma.accountKey.count({ where: { userId: alice.id } })).toBe(1);
  });
});
