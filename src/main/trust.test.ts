import { describe, expect, it } from 'vitest';
import { isTrustedSenderUrl } from './trust.js';

describe('isTrustedSenderUrl with a file:// renderer', () => {
  const ours = 'file:///opt/Overlab/resources/app/out/renderer/index.html';

  it.each([
    ['the same file', ours],
    ['the same file with a hash route', `${ours}#/report`],
    ['the same file with a query', `${ours}?run=3`],
  ])('trusts %s', (_why, sender) => {
    expect(isTrustedSenderUrl(sender, ours)).toBe(true);
  });

  it.each([
    ['another file', 'file:///tmp/evil.html'],
    ['a file beside ours', 'file:///opt/Overlab/resources/app/out/renderer/other.html'],
    ['a web page', 'https://example.com/index.html'],
    ['an http page at the same path', 'http://localhost/opt/Overlab/resources/app/out/renderer/index.html'],
    ['about:blank', 'about:blank'],
    ['a data URL', 'data:text/html,<script>1</script>'],
    ['an empty string', ''],
    ['garbage', 'not a url at all'],
    ['undefined', undefined],
  ])('does not trust %s', (_why, sender) => {
    expect(isTrustedSenderUrl(sender, ours)).toBe(false);
  });
});

describe('isTrustedSenderUrl with an http dev-server renderer', () => {
  const ours = 'http://localhost:5173/';

  it.each([
    ['the same origin', 'http://localhost:5173/'],
    ['another path of the same origin', 'http://localhost:5173/src/report.html?x=1#y'],
  ])('trusts %s', (_why, sender) => {
    expect(isTrustedSenderUrl(sender, ours)).toBe(true);
  });

  it.each([
    ['another port', 'http://localhost:5174/'],
    ['another host', 'http://127.0.0.2:5173/'],
    ['https instead of http', 'https://localhost:5173/'],
    ['a look-alike host', 'http://localhost.evil.example:5173/'],
    ['userinfo that spells our origin', 'http://localhost:5173@evil.example/'],
    ['a file URL', 'file:///'],
    ['garbage', '::::'],
    ['undefined', undefined],
  ])('does not trust %s', (_why, sender) => {
    expect(isTrustedSenderUrl(sender, ours)).toBe(false);
  });
});

describe('isTrustedSenderUrl with a renderer URL that does not parse', () => {
  it('trusts nobody', () => {
    expect(isTrustedSenderUrl('http://localhost:5173/', 'garbage')).toBe(false);
  });
});
