/** Accounts and sessions: `/api/user/*` and `/api/token/*` (docs/API.md). */

/** `POST /api/user/register`. */
export interface RegisterRequest {
  email: string;
  password: string;
}

export interface RegisterResponse {
  id: string;
  created_at: string;
  updated_at: string;
  email: string;
}

/** `POST /api/user/login` and `DELETE /api/user` (no bearer: the credentials are the proof). */
export interface CredentialsRequest {
  email: string;
  password: string;
}

export interface LoginResponse {
  access_token: string;
  refresh_token: string;
}

/** `PATCH /api/user/verify`. */
export interface VerifyRequest {
  email: string;
  otp: string;
}

/** `POST /api/user/verify/resend` [ext]. */
export interface ResendRequest {
  email: string;
}

/** `POST /api/token/refresh`; `rotate` is an extension. */
export interface RefreshRequest {
  refresh_token: string;
  rotate?: boolean;
}

/** `refresh_token` only with `"rotate": true` (a Hashdrop server never sends it). */
export interface RefreshResponse {
  access_token: string;
  refresh_token?: string;
}

/** `POST /api/token/revoke`. */
export interface RevokeRequest {
  refresh_token: string;
}
