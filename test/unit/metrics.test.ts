import { describe, expect, it } from 'vitest';
import { escapeLabelValue, formatLabels, Metrics } from '../../src/daemon/metrics.js';

describe('metrics text format', () => {
  it('escapes backslashes, double quotes and line feeds in label values', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    expect(escapeLabelValue('plain – ünïcode')).toBe('plain – ünïcode');
    expect(
      formatLabels([
        ['flow', 'say "hi"'],
        ['protocol', 'http'],
      ]),
    ).toBe('flow="say \\"hi\\"",protocol="http"');
  });

  it('renders counters per status and cumulative histograms', () => {
    const metrics = new Metrics();
    const requests = metrics.requests.statusCounters([
      ['flow', 'o\\k\n'],
      ['protocol', 'http'],
    ]);
    requests.inc(200);
    requests.inc(200);
    requests.inc(502);
    const duration = metrics.requestDuration.create([
      ['flow', 'ok'],
      ['protocol', 'http'],
    ]);
    duration.observe(0.004);
    duration.observe(0.3);
    duration.observe(11);
    const text = metrics.render();
    const lines = text.split('\n');
    expect(lines).toContain('# HELP maestro_requests_total Flow requests answered, by flow, protocol and status.');
    expect(lines).toContain('# TYPE maestro_requests_total counter');
    expect(lines).toContain('maestro_requests_total{flow="o\\\\k\\n",protocol="http",status="200"} 2');
    expect(lines).toContain('maestro_requests_total{flow="o\\\\k\\n",protocol="http",status="502"} 1');
    expect(lines.filter((l) => l.startsWith('maestro_request_duration_seconds'))).toEqual([
      'maestro_request_duration_seconds_bucket{flow="ok",protocol="http",le="0.005"} 1',
      'maestro_request_duration_seconds_bucket{flow="ok",protocol="http",le="0.01"} 1',
      'maestro_request_duration_seconds_bucket{flow="ok",protocol="http",le="0.025"} 1',
      'maestro_request_duration_seconds_bucket{flow="ok",protocol="http",le="0.05"} 1',
      'maestro_request_duration_seconds_bucket{flow="ok",protocol="http",le="0.1"} 1',
      'maestro_request_duration_seconds_bucket{flow="ok",protocol="http",le="0.25"} 1',
      'maestro_request_duration_seconds_bucket{flow="ok",protocol="http",le="0.5"} 2',
      'maestro_request_duration_seconds_bucket{flow="ok",protocol="http",le="1"} 2',
      'maestro_request_duration_seconds_bucket{flow="ok",protocol="http",le="2.5"} 2',
      'maestro_request_duration_seconds_bucket{flow="ok",protocol="http",le="5"} 2',
      'maestro_request_duration_seconds_bucket{flow="ok",protocol="http",le="10"} 2',
      'maestro_request_duration_seconds_bucket{flow="ok",protocol="http",le="+Inf"} 3',
      'maestro_request_duration_seconds_sum{flow="ok",protocol="http"} 11.304',
      'maestro_request_duration_seconds_count{flow="ok",protocol="http"} 3',
    ]);
    expect(text.endsWith('\n')).toBe(true);
  });
});
