/**
 * @module api
 * The page's one client of UMCA's HTTP API v1, on the page's own origin. A request the server
 * refuses rejects with an UmcaApiError whose message is the problem's `detail`: what the page
 * shows. On a server that needs tokens, each request carries the session's current one.
 */
import { createClient } from '@umca/client';

let currentToken: () => Promise<string | undefined> = async () => undefined;

/** Every request from now on carries the token `token` gives (the signed-in session's). */
export function useToken(token: () => Promise<string | undefined>): void {
  currentToken = token;
}

export const umca = createClient({ token: () => currentToken() });
