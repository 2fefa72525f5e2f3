// A strict reader of the Prometheus text exposition format 0.0.4, for tests:
// Debian's promtool comes only with the whole Prometheus server (about 100 MB),
// so the output is checked here instead, against the rules promtool's `check
// metrics` applies: the grammar, HELP/TYPE once per family and before its
// samples, families contiguous, no duplicate series, histogram buckets
// cumulative and ending at +Inf = _count, and the naming lints (counters end in
// _total, nothing else does, base units).
// https://prometheus.io/docs/instrumenting/exposition_formats/#text-format-details

export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedFamily {
  name: string;
  type: string;
  help: string;
  samples: ParsedSample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*';
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(s: string, where: string): number {
  if (s === 'NaN') return NaN;
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) throw new Error(`${where}: bad value ${JSON.stringify(s)}`);
  return Number(s);
}

function unescapeHelp(s: string, where: string): string {
  return s.replace(/\\(.?)/g, (_m, c: string) => {
    if (c === '\\') return '\\';
    if (c === 'n') return '\n';
    throw new Error(`${where}: bad escape \\${c} in HELP`);
  });
}

/** Reads `{a="x",b="y"}` from the start of `s`; returns the labels and the rest. */
function parseLabels(s: string, where: string): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1;
  const re = new RegExp(`^(${LABEL})="`);
  while (s[i] !== '}') {
    const m = re.exec(s.slice(i));
    if (!m) throw new Error(`${where}: bad label at ${JSON.stringify(s.slice(i, i + 20))}`);
    const key = m[1]!;
    i += m[0].length;
    let value = '';
    for (;;) {
      const c = s[i];
      if (c === undefined || c === '\n') throw new Error(`${where}: unterminated label value`);
      if (c === '"') break;
      if (c === '\\') {
        const e = s[i + 1];
        if (e === '\\' || e === '"') value += e;
        else if (e === 'n') value += '\n';
        else throw new Error(`${where}: bad escape \\${e ?? ''} in a label value`);
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    i++;
    if (key in labels) throw new Error(`${where}: label ${key} twice`);
    if (key.startsWith('__')) throw new Error(`${where}: label ${key} is reserved`);
    labels[key] = value;
    if (s[i] === ',') i++;
    else if (s[i] !== '}') throw new Error(`${where}: expected , or } after a label`);
  }
  return { labels, rest: s.slice(i + 1) };
}

/** The family a sample belongs to: histograms own NAME_bucket, NAME_sum and NAME_count. */
function familyOf(sample: string, families: Map<string, ParsedFamily>): ParsedFamily | undefined {
  if (families.has(sample)) return families.get(sample);
  const m = /^(.*)_(bucket|sum|count)$/.exec(sample);
  const f = m ? families.get(m[1]!) : undefined;
  return f && (f.type === 'histogram' || f.type === 'summary') ? f : undefined;
}

function checkHistogram(f: ParsedFamily): void {
  const bySeries = new Map<string, ParsedSample[]>();
  for (const s of f.samples) {
    const { le: _le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    bySeries.set(key, [...(bySeries.get(key) ?? []), s]);
  }
  for (const [key, samples] of bySeries) {
    const buckets = samples.filter((s) => s.name === `${f.name}_bucket`);
    const count = samples.find((s) => s.name === `${f.name}_count`);
    const sum = samples.find((s) => s.name === `${f.name}_sum`);
    if (!count || !sum) throw new Error(`${f.name}${key}: histogram without _sum and _count`);
    if (buckets.some((b) => b.labels['le'] === undefined)) throw new Error(`${f.name}: bucket without le`);
    const les = buckets.map((b) => parseValue(b.labels['le']!, f.name));
    if (les.length === 0 || les[les.length - 1] !== Infinity) throw new Error(`${f.name}${key}: no le="+Inf" bucket last`);
    for (let i = 1; i < les.length; i++) {
      if (!(les[i]! > les[i - 1]!)) throw new Error(`${f.name}: bucket bounds not increasing`);
      if (buckets[i]!.value < buckets[i - 1]!.value) throw new Error(`${f.name}: bucket counts not cumulative`);
    }
    if (buckets[buckets.length - 1]!.value !== count.value) throw new Error(`${f.name}: +Inf bucket ${buckets[buckets.length - 1]!.value} != _count ${count.value}`);
  }
}

function lint(f: ParsedFamily): void {
  if (f.help === '') throw new Error(`${f.name}: no HELP text`);
  if (f.type === 'counter' && !f.name.endsWith('_total')) throw new Error(`${f.name}: counter names should end in _total`);
  if (f.type !== 'counter' && f.name.endsWith('_total')) throw new Error(`${f.name}: non-counter names should not end in _total`);
  if (/_(milliseconds|millis|ms|bytes_total_bytes|minutes|hours)(_|$)/.test(f.name)) throw new Error(`${f.name}: use base units (seconds)`);
  if (f.type === 'counter' && f.samples.some((s) => s.value < 0 || Number.isNaN(s.value))) throw new Error(`${f.name}: negative counter`);
}

/** Parses exposition text strictly; throws with the line number on the first violation. */
export function parseExposition(text: string): Map<string, ParsedFamily> {
  if (text !== '' && !text.endsWith('\n')) throw new Error('the text must end with a newline');
  const families = new Map<string, ParsedFamily>();
  const series = new Set<string>();
  const done = new Set<string>();
  let current: ParsedFamily | undefined;
  const sampleRe = new RegExp(`^(${NAME})`);
  const lines = text.split('\n').slice(0, -1);
  lines.forEach((line, n) => {
    const where = `line ${n + 1}`;
    if (line.trim() === '') throw new Error(`${where}: empty line`);
    const meta = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
    if (meta) {
      const [, kind, name = '', rest = ''] = meta;
      if (!new RegExp(`^${NAME}$`).test(name)) throw new Error(`${where}: bad metric name ${name}`);
      if (done.has(name)) throw new Error(`${where}: family ${name} is not contiguous`);
      let f = families.get(name);
      if (f && f !== current) throw new Error(`${where}: family ${name} is not contiguous`);
      if (!f) {
        if (current) done.add(current.name);
        f = { name, type: 'untyped', help: '', samples: [] };
        families.set(name, f);
        current = f;
      }
      if (kind === 'HELP') {
        if (f.help !== '') throw new Error(`${where}: second HELP for ${name}`);
        f.help = unescapeHelp(rest, where);
      } else {
        if (!TYPES.has(rest)) throw new Error(`${where}: unknown type ${rest}`);
        if (f.samples.length > 0) throw new Error(`${where}: TYPE for ${name} after its samples`);
        if ((f as ParsedFamily & { typed?: boolean }).typed) throw new Error(`${where}: second TYPE for ${name}`);
        (f as ParsedFamily & { typed?: boolean }).typed = true;
        f.type = rest;
      }
      return;
    }
    if (line.startsWith('#')) return; // a comment
    const m = sampleRe.exec(line);
    if (!m) throw new Error(`${where}: not a sample: ${JSON.stringify(line)}`);
    const name = m[1]!;
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) ({ labels, rest } = parseLabels(rest, where));
    if (!/^ \S+( \S+)?$/.test(rest)) throw new Error(`${where}: expected one space, a value and an optional timestamp`);
    const parts = rest.split(' ');
    const value = parseValue(parts[1]!, where);
    if (parts[2] !== undefined && !/^-?\d+$/.test(parts[2])) throw new Error(`${where}: bad timestamp`);
    const f = familyOf(name, families);
    if (!f) throw new Error(`${where}: sample ${name} before its TYPE`);
    if (f !== current) throw new Error(`${where}: family ${f.name} is not contiguous`);
    if (f.type === 'histogram' && name === f.name) throw new Error(`${where}: histogram ${name} sample without a suffix`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (series.has(key)) throw new Error(`${where}: duplicate series ${name}${JSON.stringify(labels)}`);
    series.add(key);
    f.samples.push({ name, labels, value });
  });
  for (const f of families.values()) {
    lint(f);
    if (f.type === 'histogram') checkHistogram(f);
  }
  return families;
}

/** The value of one series (labels must match exactly), or undefined. */
export function sampleValue(families: Map<string, ParsedFamily>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const f of families.values()) {
    const s = f.samples.find((x) => x.name === name && JSON.stringify(Object.entries(x.labels).sort()) === JSON.stringify(Object.entries(labels).sort()));
    if (s) return s.value;
  }
  return undefined;
}
