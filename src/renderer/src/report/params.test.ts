import { describe, expect, it } from 'vitest';
import { isReportHash, reportParams } from './params';

describe('the report route’s address', () => {
  it('is #/report with its query, and nothing else', () => {
    expect(isReportHash('#/report?run=r1')).toBe(true);
    expect(isReportHash('#/report')).toBe(true);
    expect(isReportHash('#token=abc')).toBe(false);
    expect(isReportHash('#/reporting')).toBe(false);
    expect(isReportHash('')).toBe(false);
  });

  it('reads the run or campaign, the folder and the metric; the serve door’s token is not its business', () => {
    expect(reportParams('#/report?run=r1&dir=%2Fsrv%2Fa+b&metric=tcp&token=xyz')).toEqual({ subject: { kind: 'run', runId: 'r1' }, dir: '/srv/a b', metric: 'tcp' });
    expect(reportParams('#/report?campaign=c1')).toEqual({ subject: { kind: 'campaign', campaignId: 'c1' }, metric: 'rtt-mean' });
  });

  it('falls back to mean RTT for a metric it does not know, and has no subject when none is given', () => {
    expect(reportParams('#/report?run=r1&metric=bogus').metric).toBe('rtt-mean');
    expect(reportParams('#/report').subject).toBeUndefined();
  });
});
