import { describe, expect, it, vi, type Mock } from 'vitest';
import { OPERATIONS, type OperationName } from '../shared/api.js';
import { error } from '../shared/diagnostics.js';
import { defaultRegistry } from '../shared/tunnels/index.js';
import { dispatch, isOperation } from './dispatch.js';
import { ApiError, createEngine, type Handlers } from './engine.js';

/** Every operation as a spy that answers with its own name, so a test sees which one ran. */
function spyHandlers(): { handlers: Handlers; spies: Record<OperationName, Mock> } {
  const spies = Object.fromEntries(OPERATIONS.map((op) => [op, vi.fn(() => Promise.resolve({ ran: op }))])) as Record<OperationName, Mock>;
  return { handlers: spies as unknown as Handlers, spies };
}

const noneCalled = (spies: Record<OperationName, Mock>): void => {
  for (const op of OPERATIONS) expect(spies[op], op).not.toHaveBeenCalled();
};

describe('dispatch', () => {
  it('refuses an untrusted caller before looking at anything else, without calling a handler', async () => {
    const { handlers, spies } = spyHandlers();
    for (const [name, args] of [['project.open', { dir: '/p' }], ['kinds.list', {}], ['no.such', 1]] as const) {
      const r = await dispatch(handlers, name, args, false);
      expect(r).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
    noneCalled(spies);
  });

  it('runs the named handler with the checked arguments and returns its value', async () => {
    const { handlers, spies } = spyHandlers();
    const r = await dispatch(handlers, 'project.open', { dir: '/p' }, true);
    expect(r).toEqual({ ok: true, value: { ran: 'project.open' } });
    expect(spies['project.open']).toHaveBeenCalledExactlyOnceWith({ dir: '/p' });
    expect(spies['project.save']).not.toHaveBeenCalled();
  });

  it('treats missing arguments as an empty object', async () => {
    const { handlers, spies } = spyHandlers();
    expect(await dispatch(handlers, 'kinds.list', undefined, true)).toEqual({ ok: true, value: { ran: 'kinds.list' } });
    expect(spies['kinds.list']).toHaveBeenCalledWith({});
  });

  it.each([['project.nuke'], ['__proto__'], ['constructor'], [42], [undefined]])('refuses the unknown operation %j as invalid-arguments', async (name) => {
    const { handlers, spies } = spyHandlers();
    const r = await dispatch(handlers, name, {}, true);
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid-arguments' } });
    if (typeof name === 'string') expect(r.ok === false && r.error.message).toContain(name);
    noneCalled(spies);
  });

  it.each([
    ['project.open', {}, 'dir'],
    ['project.open', { dir: 7 }, 'dir'],
    ['project.open', { dir: '' }, 'dir'],
    ['project.open', { dir: '/p', extra: true }, 'extra'],
    ['project.save', { dir: '/p', topology: 'yaml text' }, 'topology'],
    ['measure.run', { dir: '/p', duration: 0 }, 'duration'],
    ['deploy.apply', { dir: '/p', hosts: [1] }, 'hosts[0]'],
  ] as const)('refuses %s with %j as invalid-arguments naming %s', async (name, args, field) => {
    const { handlers, spies } = spyHandlers();
    const r = await dispatch(handlers, name, args, true);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('invalid-arguments');
    expect(r.error.message).toContain(name);
    expect(r.error.message).toContain(field);
    noneCalled(spies);
  });

  it('refuses arguments that are not an object', async () => {
    const { handlers, spies } = spyHandlers();
    expect(await dispatch(handlers, 'project.open', '/p', true)).toMatchObject({ ok: false, error: { code: 'invalid-arguments' } });
    noneCalled(spies);
  });

  it('passes the code, message and diagnostics of an ApiError through', async () => {
    const { handlers, spies } = spyHandlers();
    const diagnostics = [error('self-link', ['links', 0, 'b'], 'links a to itself')];
    spies['project.save'].mockRejectedValueOnce(new ApiError('invalid-arguments', 'topology does not validate', diagnostics));
    const r = await dispatch(handlers, 'project.save', { dir: '/p', topology: {} }, true);
    expect(r).toEqual({ ok: false, error: { code: 'invalid-arguments', message: 'topology does not validate', diagnostics } });
  });

  it('turns a plain Error into code failed with its message only', async () => {
    const { handlers, spies } = spyHandlers();
    const e = Object.assign(new Error('disk on fire'), { secret: 'hunter2', code: 'EIO' });
    spies['project.open'].mockRejectedValueOnce(e);
    const r = await dispatch(handlers, 'project.open', { dir: '/p' }, true);
    expect(r).toEqual({ ok: false, error: { code: 'failed', message: 'disk on fire' } });
    expect(JSON.stringify(r)).not.toContain('hunter2');
    expect(JSON.stringify(r)).not.toMatch(/\bat .*\.ts:\d+/);
  });

  it('turns a thrown non-Error into code failed', async () => {
    const { handlers, spies } = spyHandlers();
    spies['project.open'].mockImplementationOnce(() => {
      throw 'just a string';
    });
    expect(await dispatch(handlers, 'project.open', { dir: '/p' }, true)).toEqual({ ok: false, error: { code: 'failed', message: 'just a string' } });
  });

  it('answers a call the engine refuses with its code and reason (a report of a project with no run)', async () => {
    const engine = createEngine({ registry: defaultRegistry });
    expect(await dispatch(engine, 'report.pdf', { dir: '/nonexistent/p', file: '/tmp/r.pdf' }, true)).toMatchObject({ ok: false, error: { code: 'invalid-arguments', message: expect.stringContaining('overlab measure') } });
  });

  it('validates a topology through the real engine', async () => {
    const engine = createEngine({ registry: defaultRegistry });
    const r = await dispatch(engine, 'project.validate', { topology: { schemaVersion: 5, name: 'x', shape: 'mesh', hosts: [{ name: 'a' }, { name: 'a' }] } }, true);
    expect(r.ok && (r.value as { diagnostics: { code: string; path: string }[] }).diagnostics.map((d) => [d.code, d.path])).toContainEqual(['duplicate-host-name', 'hosts[1].name']);
  });
});

describe('isOperation', () => {
  it('knows every operation of the contract and nothing inherited', () => {
    for (const op of OPERATIONS) expect(isOperation(op)).toBe(true);
    for (const other of ['toString', 'hasOwnProperty', 'project', '', null]) expect(isOperation(other)).toBe(false);
  });
});
