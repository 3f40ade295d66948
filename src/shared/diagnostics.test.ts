import { describe, expect, it } from 'vitest';
import { error, formatDiagnostic, formatPath, hasErrors, warning } from './diagnostics.js';

describe('formatPath', () => {
  it.each([
    [['links', 3, 'kind'], 'links[3].kind'],
    [['hosts', 0, 'underlay', 'address'], 'hosts[0].underlay.address'],
    [[], ''],
    [['options', 'dst port'], 'options["dst port"]'],
    [[2], '[2]'],
  ])('writes %j as %s', (segments, text) => {
    expect(formatPath(segments)).toBe(text);
  });
});

describe('formatDiagnostic', () => {
  it('puts the path first, then the severity and message, then the file position', () => {
    const d = { ...error('self-link', ['links', 0, 'b'], 'links a to itself'), line: 12, column: 5 };
    expect(formatDiagnostic(d, 'p/overlab.yaml')).toBe('links[0].b: error: links a to itself (p/overlab.yaml:12:5)');
  });

  it('names the document itself when the path is empty', () => {
    expect(formatDiagnostic(error('not-a-mapping', [], 'no'))).toMatch(/^\(document\): error: no$/);
  });

  it('gives the file alone when the position is unknown', () => {
    expect(formatDiagnostic(warning('mesh-incomplete', ['links'], 'w'), 'f.yaml')).toBe('links: warning: w (f.yaml)');
  });

  it('is one line', () => {
    expect(formatDiagnostic(error('x', ['a'], 'm'), 'f')).not.toContain('\n');
  });
});

describe('hasErrors', () => {
  it('is true for an error and false for warnings alone', () => {
    expect(hasErrors([warning('w', [], 'w'), error('e', [], 'e')])).toBe(true);
    expect(hasErrors([warning('w', [], 'w')])).toBe(false);
    expect(hasErrors([])).toBe(false);
  });
});
