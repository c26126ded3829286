import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { sha256Hex } from '../../tasks/approval';

/**
 * CSRF protection of the approval form, issued by the server:
 * - the session cookie holds a random nonce and its HMAC, so only a cookie this server set is accepted;
 * - the form token is an expiry and an HMAC over (run, hash of the approval link's secret, session nonce, expiry).
 * A made-up cookie with a matching form field fails both MACs; a token from another link, another browser or an
 * older server process fails the form MAC. The key lives in this process only: restarting the console voids the
 * open forms (reopening the link issues new ones) and leaves no secret on disk.
 */

export const SESSION_COOKIE = 'occupancy_session';
/** How long an approval page's form stays usable; after it, reopening the approval link issues a new one. */
export const CSRF_TTL_MS = 2 * 60 * 60 * 1000;

export interface CsrfBinding {
  readonly run: string;
  /** The secret of the approval link the page was opened with. */
  readonly linkToken: string;
}

export type CsrfVerdict = 'valid' | 'expired' | 'invalid';

const NONCE = /^[A-Za-z0-9_-]{24}$/;

function equalMacs(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class CsrfTokens {
  private readonly key = randomBytes(32);

  constructor(
    private readonly ttlMs = CSRF_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  private mac(...parts: readonly (string | number)[]): string {
    return createHmac('sha256', this.key).update(JSON.stringify(parts)).digest('base64url');
  }

  /** A new session cookie value: nonce.mac */
  newSession(): string {
    const nonce = randomBytes(18).toString('base64url');
    return `${nonce}.${this.mac('session', nonce)}`;
  }

  /** The nonce of a session cookie this server issued; undefined for a missing or made-up one. */
  sessionNonce(cookie: string | undefined): string | undefined {
    const [nonce, mac, ...rest] = (cookie ?? '').split('.');
    if (!nonce || !mac || rest.length > 0 || !NONCE.test(nonce)) return undefined;
    return equalMacs(mac, this.mac('session', nonce)) ? nonce : undefined;
  }

  /** The form token of a page opened from `binding`'s link in the session with `nonce`. */
  issue(binding: CsrfBinding, nonce: string): string {
    const expires = this.now() + this.ttlMs;
    return `${expires.toString(36)}.${this.formMac(binding, nonce, expires)}`;
  }

  verify(token: string, binding: CsrfBinding, nonce: string | undefined): CsrfVerdict {
    const [expiresText, mac, ...rest] = token.split('.');
    if (!nonce || !expiresText || !mac || rest.length > 0 || !/^[0-9a-z]{1,12}$/.test(expiresText)) return 'invalid';
    const expires = Number.parseInt(expiresText, 36);
    // The MAC first: an expired verdict is only given for a token this server issued.
    if (!equalMacs(mac, this.formMac(binding, nonce, expires))) return 'invalid';
    return this.now() > expires ? 'expired' : 'valid';
  }

  private formMac(binding: CsrfBinding, nonce: string, expires: number): string {
    return this.mac('csrf', binding.run, sha256Hex(binding.linkToken), nonce, expires);
  }
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

export const sessionCookieHeader = (value: string): string =>
  `${SESSION_COOKIE}=${value}; Path=/approval; HttpOnly; SameSite=Strict`;
