/** IPC channel names shared by main and preload. */
export const CALL_CHANNEL = 'overlab:call';
export const EVENT_CHANNEL = 'overlab:event';
