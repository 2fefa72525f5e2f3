import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Histogram, writeExposition, type MetricFamily } from '../../src/metrics/exposition.ts';
import { parseExposition, sampleValue } from '../support/prom-text.ts';

test('counters and gauges: HELP and TYPE before the samples, labels escaped, one newline at the end', () => {
  const text = writeExposition([
    { name: 'door_openings_total', type: 'counter', help: 'Openings \\ by "method"\nsecond line', samples: [{ labels: { method: 'dtmf' }, value: 3 }, { labels: { method: 'a"b\\c\nd' }, value: 0 }] },
    { name: 'door_open', type: 'gauge', help: 'Open now.', samples: [{ value: 1 }] },
  ]);
  assert.equal(
    text,
    [
      '# HELP door_openings_total Openings \\\\ by "method"\\nsecond line',
      '# TYPE door_openings_total counter',
      'door_openings_total{method="dtmf"} 3',
      'door_openings_total{method="a\\"b\\\\c\\nd"} 0',
      '# HELP door_open Open now.',
      '# TYPE door_open gauge',
      'door_open 1',
      '',
    ].join('\n'),
  );
  const parsed = parseExposition(text);
  assert.equal(sampleValue(parsed, 'door_openings_total', { method: 'a"b\\c\nd' }), 0);
  assert.equal(parsed.get('door_openings_total')?.help, 'Openings \\ by "method"\nsecond line');
});

test('a histogram is written cumulative, with +Inf equal to the count', () => {
  const h = new Histogram([1, 5, 10]);
  for (const v of [0.5, 1, 3, 7, 12, 40]) h.observe(v);
  h.observe(NaN); // ignored
  const text = writeExposition([{ name: 'call_duration_seconds', type: 'histogram', help: 'Talk time.', series: [h.snapshot()] }]);
  assert.match(text, /^call_duration_seconds_bucket\{le="1"\} 2$/m);
  assert.match(text, /^call_duration_seconds_bucket\{le="5"\} 3$/m);
  assert.match(text, /^call_duration_seconds_bucket\{le="10"\} 4$/m);
  assert.match(text, /^call_duration_seconds_bucket\{le="\+Inf"\} 6$/m);
  assert.match(text, /^call_duration_seconds_sum 63.5$/m);
  assert.match(text, /^call_duration_seconds_count 6$/m);
  parseExposition(text);
});

test('special values are written as the format spells them', () => {
  const text = writeExposition([{ name: 'x', type: 'gauge', help: 'x', samples: [{ labels: { k: 'nan' }, value: NaN }, { labels: { k: 'inf' }, value: Infinity }, { labels: { k: 'ninf' }, value: -Infinity }, { labels: { k: 'small' }, value: 1.5e-7 }] }]);
  assert.match(text, /x\{k="nan"\} NaN\nx\{k="inf"\} \+Inf\nx\{k="ninf"\} -Inf\nx\{k="small"\} 1.5e-7\n$/);
  const parsed = parseExposition(text);
  assert.equal(sampleValue(parsed, 'x', { k: 'small' }), 1.5e-7);
});

test('malformed names are refused (a programming error, never sent)', () => {
  const family = (name: string, label = 'ok'): MetricFamily => ({ name, type: 'gauge', help: 'h', samples: [{ labels: { [label]: 'v' }, value: 1 }] });
  assert.throws(() => writeExposition([family('1abc')]), /invalid metric name/);
  assert.throws(() => writeExposition([family('a-b')]), /invalid metric name/);
  assert.throws(() => writeExposition([family('ok', 'bad-label')]), /invalid label name/);
  assert.throws(() => writeExposition([family('ok', '__reserved')]), /invalid label name/);
  assert.throws(() => writeExposition([family('ok'), family('ok')]), /twice/);
});

test('the strict reader refuses what promtool refuses', () => {
  const bad: Array<[string, RegExp]> = [
    ['# TYPE a counter\na_total 1\n', /before its TYPE/],
    ['# HELP a_total h\n# TYPE a_total counter\na_total 1', /newline/],
    ['# HELP a_total h\n# TYPE a_total counter\na_total  1\n', /one space/],
    ['# HELP a_total h\n# TYPE a_total counter\na_total{x="1"} 1\na_total{x="1"} 2\n', /duplicate/],
    ['# HELP a h\n# TYPE a counter\na 1\n', /_total/],
    ['# HELP a_total h\n# TYPE a_total gauge\na_total 1\n', /should not end in _total/],
    ['# HELP a_total h\n# TYPE a_total counter\na_total{x="\\q"} 1\n', /bad escape/],
    ['# HELP a_total h\n# TYPE a_total counter\na_total one\n', /bad value/],
    ['# HELP a_total h\n# TYPE a_total counter\n# HELP b h\n# TYPE b gauge\nb 1\na_total 1\n', /not contiguous/],
    ['# HELP h_s h\n# TYPE h_s histogram\nh_s_bucket{le="1"} 2\nh_s_bucket{le="+Inf"} 1\nh_s_sum 1\nh_s_count 1\n', /cumulative/],
    ['# HELP h_s h\n# TYPE h_s histogram\nh_s_bucket{le="1"} 1\nh_s_sum 1\nh_s_count 1\n', /\+Inf/],
    ['# HELP a_ms h\n# TYPE a_ms gauge\na_ms 1\n', /base units/],
  ];
  for (const [text, why] of bad) assert.throws(() => parseExposition(text), why, text);
});
