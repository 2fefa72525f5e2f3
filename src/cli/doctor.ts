// `intercom doctor`: prints each check's verdict, what it found and the fix.
import { runDoctor } from '../doctor/doctor.ts';
import type { Finding } from '../doctor/finding.ts';
import type { ListDevices } from '../doctor/hardware-checks.ts';
import type { CliIO } from './io.ts';
import { packageVersion } from './version.ts';

const LABEL: Record<Finding['verdict'], string> = { ok: 'ok', warn: 'WARN', fail: 'FAIL', skip: '-' };

/** The report as text lines: verdict, check, detail, and an indented fix. */
export function formatFindings(findings: Finding[]): string[] {
  const width = Math.max(...findings.map((f) => f.check.length));
  const lines: string[] = [];
  for (const f of findings) {
    lines.push(`${LABEL[f.verdict].padEnd(4)}  ${f.check.padEnd(width)}  ${f.detail}`);
    if (f.fix && f.verdict !== 'ok') lines.push(`${' '.repeat(6 + width)}  fix: ${f.fix}`);
  }
  const count = (v: Finding['verdict']): number => findings.filter((f) => f.verdict === v).length;
  lines.push(`${count('ok')} ok, ${count('warn')} warnings, ${count('fail')} failed, ${count('skip')} skipped`);
  return lines;
}

export interface DoctorCommandOptions {
  json: boolean;
  socket?: string;
  listAudio?: ListDevices;
}

/** 0 when nothing failed (warnings allowed), 1 otherwise. */
export async function doctorCommand(configPath: string, io: CliIO, options: DoctorCommandOptions): Promise<number> {
  const listAudio =
    options.listAudio ??
    (async () => {
      const { probeAudioDevices } = await import('./audio.ts');
      return probeAudioDevices();
    });
  const findings = await runDoctor(configPath, { listAudio, ...(options.socket !== undefined ? { socket: options.socket } : {}) });
  if (options.json) io.out(JSON.stringify({ version: packageVersion(), findings }));
  else {
    io.out(`intercom ${packageVersion()} doctor: ${configPath}`);
    for (const line of formatFindings(findings)) io.out(line);
  }
  return findings.some((f) => f.verdict === 'fail') ? 1 : 0;
}
