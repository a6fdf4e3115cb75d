import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { ERROR_CODES, type ErrorCode } from '@coffer/contract';
import { ERROR_STATUS } from '../../src/common/error.filter';
import { startTestApp, TestApp } from '../../../../test/helpers/test-app';
import { FULL_TIER } from '../../../../test/helpers/test-tier';
import { createVerifiedUser, TestUser } from '../../../../test/helpers/users';
import { login, registerVerified, signJwt } from './auth.e2e-helpers';
import { uploadFile } from './files.e2e-helpers';
import { anyJson, edgeString, objectFor, OpenApiDocument, Operation, operationsOf } from './fuzz.e2e-helpers';

/**
 * Property: whatever arrives at any route of the OpenAPI document, the answer is never a 5xx,
 * and every error answer (but a HEAD's, which has no body) is `{error, code}` JSON with a code of
 * the contract and the status the code has. Runs per route: COFFER_FUZZ_RUNS (the fast tier a
 * few, the full tier many); COFFER_FUZZ_SEED replays a failure (the seed is in the report).
 */
const RUNS = Number(process.env.COFFER_FUZZ_RUNS) || (FULL_TIER ? 200 : 15);
/** Answers by method, status and code; COFFER_FUZZ_STATS=1 prints them (how many runs get past validation). */
const STATS = new Map<string, number>();
const SEED = Number(process.env.COFFER_FUZZ_SEED) || Math.floor(Math.random() * 2 ** 31);

interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

/** What the fuzzer knows that is real, so some runs get past authentication and lookups. */
interface Known {
  user: TestUser;
  fileId: string;
  ownerHash: string;
  jwtSecret: string;
}

/** Bytes in a URL: unreserved characters as they are, everything else (lone surrogates as U+FFFD) percent-encoded. */
function pct(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) out += /[A-Za-z0-9\-._~]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}

/** Header values fetch will send: printable ASCII (NUL, CR, LF and non-ASCII are raw-socket cases in bad-input.e2e-spec). */
const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 });

/** `arbitrary` in `percent` of the runs, else undefined. */
function sometimes<T>(arbitrary: fc.Arbitrary<T>, percent: number): fc.Arbitrary<T | undefined> {
  return fc.oneof({ arbitrary: fc.constant(undefined), weight: 100 - percent }, { arbitrary, weight: percent });
}

const BAD_PERCENT = ['%', '%E0%A4%A', '%zz', '%00', '%2F', '%ED%A0%80', '%C0%AF', '.', '%2e%2e'];

function pathParam(known: Known): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(known.fileId, known.ownerHash, randomUUID(), `usrh-${'f'.repeat(32)}`), weight: 3 },
    { arbitrary: edgeString.filter((s) => s !== '').map(pct), weight: 3 },
    { arbitrary: fc.constantFrom(...BAD_PERCENT), weight: 1 },
  );
}

function queryString(op: Operation, known: Known): fc.Arbitrary<string> {
  const value = fc.oneof(fc.constantFrom(known.fileId, known.fileId.slice(0, 4), 'ab', randomUUID()), edgeString);
  const params = op.queryParams.map((p) =>
    fc.option(
      fc.oneof({ arbitrary: value.map((v) => [v]), weight: 5 }, { arbitrary: fc.array(value, { minLength: 2, maxLength: 3 }), weight: 1 }).map((vs) => vs.map((v) => `${pct(p.name)}=${pct(v)}`).join('&')),
      { freq: 5 },
    ),
  );
  const extra = sometimes(fc.tuple(edgeString, edgeString).map(([k, v]) => `${pct(k)}=${pct(v)}`), 15);
  const raw = sometimes(fc.constantFrom('%', 'id=%E0%A4%A', '%zz=1', '&&&', 'id', 'id[]=a', 'id[x]=1', '__proto__=1', 'id=a&id=b'), 15);
  return fc.tuple(fc.tuple(...params), extra, raw).map(([ps, e, r]) => {
    const parts = [...ps, e, r].filter((p): p is string => !!p);
    return parts.length ? `?${parts.join('&')}` : '';
  });
}

function authorization(known: Known, authenticated: boolean): fc.Arbitrary<string | undefined> {
  const claims = fc.record(
    {
      sub: fc.oneof(fc.constant(known.user.id), fc.uuid(), anyJson),
      sid: fc.oneof(fc.uuid(), anyJson),
      ver: fc.oneof(fc.constant(0), anyJson),
      iss: fc.oneof(fc.constant('coffer'), anyJson),
      iat: fc.oneof(fc.constant(Math.floor(Date.now() / 1000)), anyJson),
      exp: fc.oneof(fc.constant(Math.floor(Date.now() / 1000) + 600), anyJson),
    },
    { requiredKeys: [] },
  );
  const forged = fc
    .tuple(claims, fc.constantFrom('right', 'wrong', 'none'), fc.constantFrom('HS256', 'HS512', 'none', 'RS256'))
    .map(([payload, key, alg]) => `Bearer ${signJwt({ alg, typ: 'JWT' }, payload, key === 'none' ? undefined : key === 'right' ? known.jwtSecret : 'not-the-secret')}`);
  const garbage = fc.oneof(headerText, headerText.map((h) => `Bearer ${h}`), fc.constantFrom('Bearer', 'Bearer ', 'Basic YTpi', `bearer ${known.user.accessToken}`, `Bearer ${known.user.accessToken}x`));
  return fc.oneof(
    { arbitrary: fc.constant(authenticated ? known.user.auth.Authorization : undefined), weight: authenticated ? 8 : 2 },
    { arbitrary: forged, weight: 1 },
    { arbitrary: garbage, weight: 1 },
  );
}

const CONTENT_TYPES = [
  'application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x',
  'application/json; charset=utf-16le', 'application/json; charset=latin1', 'application/json; charset=bogus', 'application/octet-stream', 'application/vnd.api+json', '*/*', ';;;',
];

function body(op: Operation, doc: OpenApiDocument): fc.Arbitrary<string | Uint8Array | undefined> {
  const json = (value: unknown) => JSON.stringify(value) ?? 'null';
  const shaped = op.body ? objectFor(doc, op.body).map(json) : anyJson.map(json);
  const text = fc.oneof(
    { arbitrary: shaped, weight: 12 },
    { arbitrary: anyJson.map(json), weight: 2 },
    { arbitrary: shaped.chain((s) => fc.nat({ max: Math.max(0, s.length - 1) }).map((n) => s.slice(0, n))), weight: 1 },
    { arbitrary: fc.constantFrom('{', '{"a":', '[1,]', "{'a':1}", '\u0000', '', 'null', '"x"', '{"a":1}{"b":2}', `${'['.repeat(33)}1${']'.repeat(33)}`), weight: 1 },
  );
  const bytes = fc.uint8Array({ maxLength: 200 });
  return op.body ? fc.oneof({ arbitrary: text, weight: 9 }, { arbitrary: bytes, weight: 1 }) : sometimes(fc.oneof(text, bytes), 30);
}

function requestFor(op: Operation, doc: OpenApiDocument, known: Known, authenticated: boolean): fc.Arbitrary<FuzzRequest> {
  const path = fc.tuple(...op.pathParams.map(() => pathParam(known))).map((values) => {
    let i = 0;
    return op.path.replace(/\{[^}]+\}/g, () => values[i++]);
  });
  const bodyAllowed = op.method !== 'GET' && op.method !== 'HEAD';
  return fc
    .record({
      path,
      query: queryString(op, known),
      auth: authorization(known, authenticated),
      contentType: sometimes(fc.constantFrom(...CONTENT_TYPES), 25),
      body: bodyAllowed ? body(op, doc) : fc.constant(undefined),
      extra: sometimes(fc.tuple(fc.constantFrom('X-Forwarded-For', 'Accept', 'Accept-Charset', 'X-Request-Id', 'Origin', 'Range'), headerText), 25),
      big: sometimes(fc.constant('a'.repeat(20_000)), 3),
      encoding: sometimes(fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'x-zz', 'gzip, gzip'), 5),
      client: fc.ipV4(),
    })
    .map(({ path: p, query, auth, contentType, body: b, extra, big, encoding, client }) => {
      // A fresh client address per run, so the per-address limits hardly ever refuse before validation.
      const headers: Record<string, string> = { 'X-Forwarded-For': client };
      if (auth !== undefined) headers.Authorization = auth;
      if (b !== undefined) headers['Content-Type'] = contentType ?? 'application/json';
      if (b !== undefined && encoding) headers['Content-Encoding'] = encoding;
      if (extra) headers[extra[0]] = extra[1];
      if (big) headers['X-Padding'] = big;
      return { method: op.method, url: p + query, headers, body: b };
    });
}

/** undefined when the answer keeps the contract, else what is wrong with it. */
async function violation(t: TestApp, req: FuzzRequest): Promise<string | undefined> {
  let res: Response;
  try {
    res = await fetch(`${t.baseUrl}${req.url}`, { method: req.method, headers: req.headers, body: req.body, redirect: 'manual', signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    const cause = (err as Error).cause;
    return `no answer: ${(err as Error).message} ${cause instanceof Error ? cause.message : ''}`;
  }
  const text = await res.text();
  const answer = `${req.method} ${res.status} ${/"code":"([A-Z_]+)"/.exec(text)?.[1] ?? ''}`;
  STATS.set(answer, (STATS.get(answer) ?? 0) + 1);
  if (res.status >= 500) return `${res.status} ${text.slice(0, 200)}`;
  if (res.status < 400 || req.method === 'HEAD') return undefined;
  if (!(res.headers.get('content-type') ?? '').startsWith('application/json')) return `${res.status} with content-type ${res.headers.get('content-type')}: ${text.slice(0, 200)}`;
  let parsed: { error?: unknown; code?: unknown };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    return `${res.status} with a body that is not JSON: ${text.slice(0, 200)}`;
  }
  if (typeof parsed.error !== 'string' || parsed.error === '') return `${res.status} without an error sentence: ${text.slice(0, 200)}`;
  if (!(ERROR_CODES as readonly unknown[]).includes(parsed.code)) return `${res.status} with an unknown code: ${text.slice(0, 200)}`;
  if (ERROR_STATUS[parsed.code as ErrorCode] !== res.status) return `${res.status} with code ${String(parsed.code)}, whose status is ${ERROR_STATUS[parsed.code as ErrorCode]}`;
  return undefined;
}

describe('fuzzing every route of the OpenAPI document', () => {
  let t: TestApp;
  let doc: OpenApiDocument;
  let operations: Operation[];
  /** A registered, verified, logged-in user with a file, and more users the more runs: the per-user limits hold per user. */
  let users: Known[];

  beforeAll(async () => {
    // Rate limits on (their guard is fuzzed too), behind a trusted proxy so each run is its own client.
    t = await startTestApp({ env: { RATE_LIMIT_ENABLED: 'true', TRUST_PROXY: 'loopback' } });
    doc = (await (await fetch(`${t.baseUrl}/api/docs-json`)).json()) as OpenApiDocument;
    operations = operationsOf(doc);
    const email = `fuzz-${randomUUID()}@example.com`;
    const registered = await registerVerified(t, email);
    const tokens = await login(t, email, registered.password);
    const user: TestUser = { id: registered.id, email, accessToken: tokens.access_token, auth: { Authorization: `Bearer ${tokens.access_token}` } };
    const others = await Promise.all(Array.from({ length: Math.ceil(RUNS / 10) - 1 }, () => createVerifiedUser(t)));
    users = await Promise.all(
      [user, ...others].map(async (u) => {
        const file = await uploadFile(t, u);
        return { user: u, fileId: file.fileId, ownerHash: file.key.split('/')[0], jwtSecret: t.config.secrets.jwt };
      }),
    );
  });

  afterAll(() => t?.close());

  it('reads the routes from the document', () => {
    expect(operations.length).toBeGreaterThanOrEqual(20);
    const keys = operations.map((op) => `${op.method} ${op.path}`);
    expect(keys).toEqual(expect.arrayContaining(['POST /api/user/register', 'POST /api/files/presign', 'GET /files/meta/{userIdHash}/{fileId}', 'HEAD /files/download/{userIdHash}/{fileId}']));
    expect(operations.filter((op) => op.bearer).length).toBeGreaterThanOrEqual(8);
    expect(operations.filter((op) => op.body).length).toBeGreaterThanOrEqual(8);
  });

  it.each([
    ['without a valid login', false],
    ['as a logged-in user', true],
  ])('never answers 5xx, and every error is {error, code} JSON (%s)', async (_who, authenticated) => {
    const failures: string[] = [];
    for (const [index, op] of operations.entries()) {
      if (authenticated && !op.bearer) continue;
      const seed = SEED + index;
      const details = await fc.check(
        fc.asyncProperty(fc.constantFrom(...users).chain((known) => requestFor(op, doc, known, authenticated)), async (req) => (await violation(t, req)) === undefined),
        { numRuns: RUNS, seed, endOnFailure: true },
      );
      if (details.failed) {
        const req = details.counterexample?.[0];
        const why = req ? await violation(t, req) : undefined;
        failures.push(`${op.method} ${op.path}: ${why ?? 'failed'}\n  request: ${JSON.stringify(req).slice(0, 600)}\n  replay: COFFER_FUZZ_SEED=${SEED} (this route: seed ${seed}, path "${details.counterexamplePath}")`);
      }
    }
    if (process.env.COFFER_FUZZ_STATS) console.log([...STATS.entries()].sort().map(([k, v]) => `${k}: ${v}`).join('\n'));
    STATS.clear();
    expect(failures).toEqual([]);
  }, Math.max(60_000, RUNS * 4_000));
});
