/**
 * The page's one connection to the engine and the environment commands run in: module-level so
 * that a panel (the inspector's "Apply conditions") runs a command without it being handed down.
 */
import type { Env } from './actions';
import { connect } from './api/client';
import { store } from './store/hooks';

// Once per page load: the HTTP transport takes its token out of the URL.
export const connection = connect();
export const env: Env = { store, ...(connection ? { client: connection.client, bridge: connection.bridge } : {}) };
