/**
 * @module api
 * The page's one client of UMCA's HTTP API v1, on the page's own origin. A request the server
 * refuses rejects with an UmcaApiError whose message is the problem's `detail`: what the page
 * shows.
 */
import { createClient } from '@umca/client';

export const umca = createClient();
