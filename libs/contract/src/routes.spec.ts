import { ERROR_CODES, ERROR_MEANINGS, isErrorCode } from './errors';
import { ROUTES, type RouteContract } from './routes';

const routes: [string, RouteContract][] = Object.entries(ROUTES);

describe('ROUTES', () => {
  it('names each method and path once', () => {
    const keys = routes.map(([, route]) => `${route.method} ${route.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('lists each code of a route once, and never INTERNAL_ERROR (any route can answer it)', () => {
    for (const [name, route] of routes) {
      expect({ name, duplicates: route.errors.filter((code, i) => route.errors.indexOf(code) !== i) }).toEqual({ name, duplicates: [] });
      expect(route.errors).not.toContain('INTERNAL_ERROR');
    }
  });

  it('lets every bearer route answer INVALID_TOKEN', () => {
    for (const [name, route] of routes.filter(([, r]) => r.auth === 'bearer')) expect({ name, errors: route.errors }).toEqual({ name, errors: expect.arrayContaining(['INVALID_TOKEN']) });
  });
});

describe('ERROR_CODES', () => {
  it('are unique and each has a meaning', () => {
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
    expect(Object.keys(ERROR_MEANINGS).sort()).toEqual([...ERROR_CODES].sort());
  });

  it('are recognised by isErrorCode, and nothing else is', () => {
    expect(ERROR_CODES.every(isErrorCode)).toBe(true);
    expect(isErrorCode('not_found')).toBe(false);
    expect(isErrorCode(404)).toBe(false);
    expect(isErrorCode(undefined)).toBe(false);
  });
});
