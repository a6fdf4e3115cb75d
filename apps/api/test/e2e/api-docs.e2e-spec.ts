import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, ROUTES, type RouteContract } from '@coffer/contract';
import request from 'supertest';
import { ERROR_STATUS } from '../../src/common/error.filter';
import { startTestApp, TestApp } from '../../../../test/helpers/test-app';

/** One row of the endpoints table of docs/API.md. */
interface DocumentedRoute {
  key: string;
  extension: boolean;
  /** The success status first, then statuses answered with the same body. */
  success: number[];
  /** Error status → codes. */
  errors: Map<number, string[]>;
}

interface OpenApiResponse {
  description?: string;
  headers?: Record<string, unknown>;
  content?: { 'application/json'?: { schema?: { required?: string[]; properties?: { code?: { enum?: string[] } } } } };
}

interface OpenApiOperation {
  summary?: string;
  responses: Record<string, OpenApiResponse>;
}

type OpenApiDocument = {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, { properties?: Record<string, { description?: string }> }> };
};

const API_MD = readFileSync(join(__dirname, '../../../../docs/API.md'), 'utf8');
const METHODS = ['get', 'head', 'post', 'put', 'patch', 'delete'];

function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`docs/API.md has no "## ${heading}" section`);
  const end = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start, end < 0 ? undefined : end);
}

function tableRows(text: string): string[][] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('|') && !/^\|\s*-/.test(line))
    .slice(1)
    .map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()));
}

function documentedRoutes(): DocumentedRoute[] {
  return tableRows(section(API_MD, 'Endpoints').split('\n### ')[0]).map(([, route, , success, errors]) => {
    const match = /^`([A-Z]+) (\/\S*)`/.exec(route);
    if (!match) throw new Error(`docs/API.md: cannot read the route "${route}"`);
    const byStatus = new Map<number, string[]>();
    if (errors !== '—') {
      for (const part of errors.split(';')) {
        const group = /^\s*(\d{3}) ([A-Z_, ]+)$/.exec(part);
        if (!group) throw new Error(`docs/API.md: cannot read the errors "${part}" of ${route}`);
        byStatus.set(Number(group[1]), group[2].split(',').map((code) => code.trim()));
      }
    }
    return {
      key: `${match[1]} ${match[2]}`,
      extension: route.includes('[ext]'),
      success: [...success.matchAll(/\d{3}/g)].map(([status]) => Number(status)),
      errors: byStatus,
    };
  });
}

function operations(document: OpenApiDocument): Map<string, OpenApiOperation> {
  const found = new Map<string, OpenApiOperation>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) if (item[method]) found.set(`${method.toUpperCase()} ${path}`, item[method]);
  }
  return found;
}

const sorted = (values: Iterable<string | number>) => [...values].map(String).sort();

describe('docs/API.md and the OpenAPI document agree', () => {
  let t: TestApp;
  let document: OpenApiDocument;
  const documented = documentedRoutes();

  beforeAll(async () => {
    t = await startTestApp();
    document = (await request(t.baseUrl).get('/api/docs-json').expect(200)).body as OpenApiDocument;
  });

  afterAll(() => t?.close());

  it('lists the same routes, in both directions', () => {
    expect(sorted(documented.map((route) => route.key))).toEqual(sorted(operations(document).keys()));
  });

  it('gives every route the success status, error statuses and codes of the docs, in both directions', () => {
    const byKey = operations(document);
    for (const route of documented) {
      const operation = byKey.get(route.key);
      if (!operation) continue; // reported by the test above
      expect({ route: route.key, statuses: sorted(Object.keys(operation.responses)) }).toEqual({
        route: route.key,
        statuses: sorted([...route.success, ...route.errors.keys()]),
      });
      for (const [status, codes] of route.errors) {
        const schema = operation.responses[status]?.content?.['application/json']?.schema;
        expect({ route: route.key, status, required: schema?.required, codes: sorted(schema?.properties?.code?.enum ?? []) }).toEqual({
          route: route.key,
          status,
          required: ['error', 'code'],
          codes: sorted(codes),
        });
      }
    }
  });

  it('agrees with the route table of @coffer/contract, which the OpenAPI decorators are built from', () => {
    const contract = Object.values(ROUTES as Record<string, RouteContract>).map((route) => ({
      key: `${route.method} ${route.path}`,
      extension: route.extension,
      success: route.success,
      errors: sorted(route.errors.map((code) => `${ERROR_STATUS[code]} ${code}`)),
    }));
    const docs = documented.map((route) => ({
      key: route.key,
      extension: route.extension,
      success: route.success[0],
      errors: sorted([...route.errors].flatMap(([status, codes]) => codes.map((code) => `${status} ${code}`))),
    }));
    expect(docs.sort((a, b) => a.key.localeCompare(b.key))).toEqual(contract.sort((a, b) => a.key.localeCompare(b.key)));
  });

  it('marks the same routes [ext] in the docs and in the operation summaries', () => {
    const byKey = operations(document);
    for (const route of documented) {
      const summary = byKey.get(route.key)?.summary ?? '';
      expect({ route: route.key, ext: summary.startsWith('[ext]') }).toEqual({ route: route.key, ext: route.extension });
    }
  });

  it('has the status of every error code in the docs’ code table, as the error filter answers it', () => {
    const table = tableRows(section(API_MD, 'Error codes')).map(([code, status]) => [code.replace(/`/g, ''), Number(status)]);
    expect(Object.fromEntries(table)).toEqual(ERROR_STATUS);
    expect(sorted(table.map(([code]) => code))).toEqual(sorted(ERROR_CODES));
  });

  it('leaves no description empty: operations, responses and schema properties', () => {
    for (const [key, operation] of operations(document)) {
      expect({ key, summary: Boolean(operation.summary?.trim()) }).toEqual({ key, summary: true });
      for (const [status, response] of Object.entries(operation.responses)) {
        expect({ key, status, description: Boolean(response.description?.trim()) }).toEqual({ key, status, description: true });
      }
    }
    for (const [name, schema] of Object.entries(document.components.schemas)) {
      for (const [property, spec] of Object.entries(schema.properties ?? {})) {
        expect({ name, property, description: Boolean(spec.description?.trim()) }).toEqual({ name, property, description: true });
      }
    }
  });

  it('documents the Location header of the download redirect and Retry-After on every 429', () => {
    const byKey = operations(document);
    expect(byKey.get('GET /files/download/{userIdHash}/{fileId}')?.responses['303']?.headers).toHaveProperty('Location');
    for (const [key, operation] of byKey) {
      const limited = operation.responses['429'];
      if (limited) expect({ key, retryAfter: Boolean(limited.headers?.['Retry-After']) }).toEqual({ key, retryAfter: true });
    }
  });
});
