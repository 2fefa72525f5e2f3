// The Prometheus text exposition format, version 0.0.4: metric families in,
// the text a scrape returns out. Pure; the metric set is small and fixed, so a
// writer of a few dozen lines serves better than a client library with a
// global registry and default metrics of its own.
// https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format

export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  labels?: Labels;
  value: number;
}

/** One histogram series: cumulative counts per upper bound (without +Inf), their sum and count. */
export interface HistogramSeries {
  labels?: Labels;
  buckets: ReadonlyArray<readonly [le: number, cumulative: number]>;
  sum: number;
  count: number;
}

export type MetricFamily =
  | { name: string; help: string; type: 'counter' | 'gauge'; samples: Sample[] }
  | { name: string; help: string; type: 'histogram'; series: HistogramSeries[] };

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Counts observations into fixed buckets; `snapshot` gives them cumulative, as the format wants. */
export class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  /** `bounds`: the buckets' upper bounds, ascending; +Inf is implied. */
  constructor(private readonly bounds: readonly number[]) {
    this.counts = bounds.map(() => 0);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    const i = this.bounds.findIndex((b) => value <= b);
    if (i >= 0) this.counts[i]! += 1;
    this.sum += value;
    this.count += 1;
  }

  snapshot(labels?: Labels): HistogramSeries {
    let running = 0;
    const buckets = this.bounds.map((le, i): [number, number] => [le, (running += this.counts[i]!)]);
    return { ...(labels ? { labels } : {}), buckets, sum: this.sum, count: this.count };
  }
}

/** A sample value as Go's ParseFloat reads it. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function labelText(labels: Labels | undefined, extra?: [string, string]): string {
  const pairs = Object.entries(labels ?? {});
  if (extra) pairs.push(extra);
  if (pairs.length === 0) return '';
  for (const [k] of pairs) if (!LABEL_NAME.test(k) || k.startsWith('__')) throw new Error(`invalid label name ${JSON.stringify(k)}`);
  return `{${pairs.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
}

/** The exposition text of `families`, in the given order; throws on a malformed name (a programming error). */
export function writeExposition(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const f of families) {
    if (!METRIC_NAME.test(f.name)) throw new Error(`invalid metric name ${JSON.stringify(f.name)}`);
    if (seen.has(f.name)) throw new Error(`metric ${f.name} written twice`);
    seen.add(f.name);
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    if (f.type !== 'histogram') {
      for (const s of f.samples) lines.push(`${f.name}${labelText(s.labels)} ${formatValue(s.value)}`);
      continue;
    }
    for (const h of f.series) {
      for (const [le, n] of h.buckets) lines.push(`${f.name}_bucket${labelText(h.labels, ['le', formatValue(le)])} ${formatValue(n)}`);
      lines.push(`${f.name}_bucket${labelText(h.labels, ['le', '+Inf'])} ${formatValue(h.count)}`);
      lines.push(`${f.name}_sum${labelText(h.labels)} ${formatValue(h.sum)}`);
      lines.push(`${f.name}_count${labelText(h.labels)} ${formatValue(h.count)}`);
    }
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
