import type { AppConfig } from '../../config/app-config';
import { AccessTokenService } from './access-token.service';
import { RefreshTokenRecord, RefreshTokenRepository } from './refresh-token.repository';
import { REFRESH_IDLE_SECONDS, RefreshTokenService, ROTATION_OVERLAP_SECONDS } from './refresh-token.service';
import { strictMock } from '../../../../../test/helpers/strict-mock';
import { ManualClock } from '../../../../../test/helpers/manual-clock';
import { domainError } from '../../../../../test/helpers/domain-error';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const DAY = 24 * 3600 * 1000;
const config = { secrets: { refreshToken: 'r'.repeat(32) }, ttl: { refreshTokenSeconds: 30 * 24 * 3600 } } as AppConfig;
const USER = { id: 'user-1', tokenVersion: 3, verified: true };

function record(overrides: Partial<RefreshTokenRecord> = {}): RefreshTokenRecord {
  return {
    id: 'token-1',
    familyId: 'family-1',
    idleExpiresAt: new Date(NOW.getTime() + DAY),
    rotatedAt: null,
    revokedAt: null,
    family: { expiresAt: new Date(NOW.getTime() + 20 * DAY), revokedAt: null },
    user: USER,
    ...overrides,
  };
}

describe('RefreshTokenService', () => {
  let clock: ManualClock;
  const accessTokens = strictMock<AccessTokenService>('accessTokens', { issue: jest.fn().mockReturnValue('access-jwt') });

  beforeEach(() => {
    clock = new ManualClock(NOW);
  });

  function serviceWith(repository: Partial<Record<keyof RefreshTokenRepository, jest.Mock>>): RefreshTokenService {
    return new RefreshTokenService(strictMock<RefreshTokenRepository>('repository', repository), accessTokens, clock, config);
  }

  describe('startSession', () => {
    it('stores only a keyed hash of 32 random bytes, with the absolute and the (shorter) idle expiry', async () => {
      const createFamily = jest.fn().mockResolvedValue('family-9');
      const { refreshToken: token, accessToken } = await serviceWith({ createFamily }).startSession(USER);

      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
      expect(createFamily).toHaveBeenCalledWith({
        userId: 'user-1',
        expiresAt: new Date(NOW.getTime() + 30 * DAY),
        tokenHash: expect.stringMatching(/^[0-9a-f]{64}$/),
        idleExpiresAt: new Date(NOW.getTime() + REFRESH_IDLE_SECONDS * 1000),
        now: NOW,
      });
      expect(createFamily.mock.calls[0][0].tokenHash).not.toContain(token);
      expect(accessToken).toBe('access-jwt');
      expect(accessTokens.issue).toHaveBeenLastCalledWith(USER, 'family-9');
    });

    it('caps the idle expiry at the absolute one when REFRESH_TOKEN_TTL_SECONDS is shorter', async () => {
      const createFamily = jest.fn().mockResolvedValue(undefined);
      const shortLived = { ...config, ttl: { ...config.ttl, refreshTokenSeconds: 3600 } };
      await new RefreshTokenService(strictMock<RefreshTokenRepository>('repository', { createFamily }), accessTokens, clock, shortLived).startSession(USER);

      expect(createFamily.mock.calls[0][0].idleExpiresAt).toEqual(new Date(NOW.getTime() + 3600_000));
    });
  });

  describe('refresh', () => {
    it('finds the token by the same hash it was stored under', async () => {
      const createFamily = jest.fn().mockResolvedValue('family-9');
      const findByHash = jest.fn().mockResolvedValue(undefined);
      const service = serviceWith({ createFamily, findByHash });
      const { refreshToken: token } = await service.startSession(USER);

      await domainError(service.refresh(token, false));

      expect(findByHash).toHaveBeenCalledWith(createFamily.mock.calls[0][0].tokenHash);
    });

    it('answers an access token for the current version and slides the idle expiry', async () => {
      const touch = jest.fn().mockResolvedValue(undefined);
      const service = serviceWith({ findByHash: jest.fn().mockResolvedValue(record()), touch });

      await expect(service.refresh('token', false)).resolves.toEqual({ accessToken: 'access-jwt' });
      expect(accessTokens.issue).toHaveBeenLastCalledWith(USER, 'family-1');
      expect(touch).toHaveBeenCalledWith('token-1', NOW, new Date(NOW.getTime() + REFRESH_IDLE_SECONDS * 1000));
    });

    it('with rotate, answers a new refresh token and rotates the family within the overlap window', async () => {
      const rotate = jest.fn().mockResolvedValue(true);
      const service = serviceWith({ findByHash: jest.fn().mockResolvedValue(record()), rotate });

      const result = await service.refresh('token', true);

      expect(result).toEqual({ accessToken: 'access-jwt', refreshToken: expect.any(String) });
      expect(Buffer.from(result.refreshToken!, 'base64url')).toHaveLength(32);
      expect(rotate).toHaveBeenCalledWith({
        familyId: 'family-1',
        presentedTokenId: 'token-1',
        rotatedNotBefore: new Date(NOW.getTime() - ROTATION_OVERLAP_SECONDS * 1000),
        newTokenHash: expect.stringMatching(/^[0-9a-f]{64}$/),
        idleExpiresAt: new Date(NOW.getTime() + REFRESH_IDLE_SECONDS * 1000),
        now: NOW,
      });
    });

    it('refuses when the rotation lost a race (the family changed meanwhile)', async () => {
      const service = serviceWith({ findByHash: jest.fn().mockResolvedValue(record()), rotate: jest.fn().mockResolvedValue(false) });
      expect((await domainError(service.refresh('token', true))).code).toBe('INVALID_TOKEN');
    });

    it('still serves a token rotated away within the overlap window (a lost response), without touching it', async () => {
      const rotatedAt = new Date(NOW.getTime() - (ROTATION_OVERLAP_SECONDS - 1) * 1000);
      const service = serviceWith({ findByHash: jest.fn().mockResolvedValue(record({ rotatedAt })) });

      await expect(service.refresh('token', false)).resolves.toEqual({ accessToken: 'access-jwt' });
    });

    it('revokes the whole family when a token rotated away before the overlap window is reused', async () => {
      const revokeFamily = jest.fn().mockResolvedValue(undefined);
      const rotatedAt = new Date(NOW.getTime() - (ROTATION_OVERLAP_SECONDS + 1) * 1000);
      const service = serviceWith({ findByHash: jest.fn().mockResolvedValue(record({ rotatedAt })), revokeFamily });

      expect((await domainError(service.refresh('token', true))).code).toBe('INVALID_TOKEN');
      expect(revokeFamily).toHaveBeenCalledWith('family-1', NOW);
    });

    it.each([
      ['unknown', undefined],
      ['revoked', record({ revokedAt: NOW })],
      ['in a revoked family', record({ family: { expiresAt: new Date(NOW.getTime() + DAY), revokedAt: NOW } })],
      ['past its idle expiry', record({ idleExpiresAt: NOW })],
      ['past the absolute expiry of its family', record({ family: { expiresAt: NOW, revokedAt: null } })],
      ['of an account no longer verified', record({ user: { ...USER, verified: false } })],
    ])('answers INVALID_TOKEN (401) for a token %s', async (_case, found) => {
      const error = await domainError(serviceWith({ findByHash: jest.fn().mockResolvedValue(found) }).refresh('token', false));
      expect(error.code).toBe('INVALID_TOKEN');
    });
  });

  describe('revoke', () => {
    it('revokes the family of a known token', async () => {
      const revokeFamily = jest.fn().mockResolvedValue(undefined);
      await serviceWith({ familyOf: jest.fn().mockResolvedValue('family-1'), revokeFamily }).revoke('token');
      expect(revokeFamily).toHaveBeenCalledWith('family-1', NOW);
    });

    it('does nothing, quietly, for an unknown token', async () => {
      await expect(serviceWith({ familyOf: jest.fn().mockResolvedValue(undefined) }).revoke('token')).resolves.toBeUndefined();
    });
  });

  describe('revokeAllForUser and deleteDead', () => {
    it('pass the clock’s time to the repository', async () => {
      const revokeAllForUser = jest.fn().mockResolvedValue(undefined);
      const deleteDead = jest.fn().mockResolvedValue(2);
      const service = serviceWith({ revokeAllForUser, deleteDead });

      await service.revokeAllForUser('user-1');
      await expect(service.deleteDead()).resolves.toBe(2);

      expect(revokeAllForUser).toHaveBeenCalledWith('user-1', NOW);
      expect(deleteDead).toHaveBeenCalledWith(NOW);
    });
  });
});
