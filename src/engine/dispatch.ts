/**
 * One typed entry point for every transport: checks the caller, checks the arguments
 * against the contract's schemas, runs the handler, and turns any failure into error data.
 */
import { ARGUMENTS, OPERATIONS, type OperationName, type Reply } from '../shared/api.js';
import { formatPath } from '../shared/diagnostics.js';
import { ApiError } from './api-error.js';
import type { Handlers } from './handlers.js';

export const isOperation = (name: unknown): name is OperationName => typeof name === 'string' && (OPERATIONS as readonly string[]).includes(name);

/**
 * `trusted` is the transport's verdict on the sender (IPC: the frame is our own renderer;
 * serve: the request carried the session token from loopback).
 */
export async function dispatch(handlers: Handlers, name: unknown, args: unknown, trusted: boolean): Promise<Reply> {
  if (!trusted) return { ok: false, error: { code: 'forbidden', message: 'the caller is not this Overlab window' } };
  if (!isOperation(name)) return { ok: false, error: { code: 'invalid-arguments', message: `unknown operation ${JSON.stringify(name)}` } };
  const parsed = ARGUMENTS[name].safeParse(args ?? {});
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first ? formatPath(first.path as (string | number)[]) : '';
    return { ok: false, error: { code: 'invalid-arguments', message: `${name}: ${where ? `${where}: ` : ''}${first?.message ?? 'invalid arguments'}` } };
  }
  try {
    const handler = handlers[name] as (a: unknown) => Promise<unknown>;
    return { ok: true, value: await handler(parsed.data) };
  } catch (e) {
    if (e instanceof ApiError) return { ok: false, error: e.toData() };
    // An unexpected failure: report its message only, never a stack or a secret-bearing object.
    return { ok: false, error: { code: 'failed', message: e instanceof Error ? e.message : String(e) } };
  }
}
