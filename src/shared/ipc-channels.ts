/**
 * IPC channel names shared by main and preload. A file of their own: the sandboxed preload
 * imports only these two strings, not the contract's schemas (zod) in api.ts.
 */
export const CALL_CHANNEL = 'overlab:call';
export const EVENT_CHANNEL = 'overlab:event';
