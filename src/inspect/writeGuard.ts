/**
 * What stands between a write endpoint of the inspector and any other page open in the same browser. A
 * page from another origin can make the browser send requests to 127.0.0.1, carrying nothing of ours; it
 * cannot read our page (same-origin policy), so a token that exists only in that page proves the request
 * came from it. The origin, fetch-site and host checks refuse what a browser marks as foreign even if the
 * token leaked, and the host check also stops DNS rebinding (a foreign name resolved to 127.0.0.1, which
 * would make a foreign page "same-origin" with us and able to read the token).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** The header the page sends its token in. A custom header also makes any cross-origin `fetch` ask first (a preflight), which is never granted. */
export const TOKEN_HEADER = 'x-autopack-token';

export interface WriteGuard {
  /** Why the request may not write, for a 403; null when it may. */
  refusal(headers: IncomingHttpHeaders): string | null;
  /** Why a request addressed to another name than ours is refused (DNS rebinding); null when it is ours. */
  hostRefusal(headers: IncomingHttpHeaders): string | null;
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** The names this server is reached by: 127.0.0.1 and localhost, on its port (`new URL` drops a default port 80, as browsers do). */
const ownHosts = (port: number): string[] => ['127.0.0.1', 'localhost'].map((name) => new URL(`http://${name}:${port}`).host);

const single = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value.join(', ') : value);

export function createWriteGuard(port: number, token: string): WriteGuard {
  const hosts = ownHosts(port);
  const origins = hosts.map((host) => `http://${host}`);
  const expected = digest(token);
  const ownUrl = `${origins[0]}/`;
  const hostRefusal = (headers: IncomingHttpHeaders): string | null => {
    const host = (headers.host ?? '').toLowerCase();
    return hosts.includes(host) ? null : `refused: this request is addressed to "${host}"; with --allow-approve the inspector answers only at ${ownUrl} (or localhost)`;
  };
  return {
    hostRefusal,
    refusal(headers) {
      const misdirected = hostRefusal(headers);
      if (misdirected !== null) return misdirected;
      const origin = single(headers.origin);
      if (origin !== undefined && !origins.includes(origin.toLowerCase())) {
        return `refused: a page from ${origin} may not decide approvals; only the inspector's own page, ${ownUrl}, can`;
      }
      const site = single(headers['sec-fetch-site']);
      if (site !== undefined && site !== 'same-origin') {
        return `refused: the browser says this request comes from a ${site} page (Sec-Fetch-Site); only the inspector's own page may decide approvals`;
      }
      const given = single(headers[TOKEN_HEADER]);
      // Compared as hashes: equal lengths, in time that does not depend on where they differ.
      if (given === undefined || !timingSafeEqual(digest(given), expected)) {
        return `refused: ${given === undefined ? 'no' : 'a wrong'} X-Autopack-Token; decide from the page this inspector serves (reload it if the inspector was restarted)`;
      }
      return null;
    },
  };
}
