// Doctor checks of the machine itself: the service under systemd, the clock,
// disk space and memory.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statfsSync } from 'node:fs';
import { finding, type Finding } from './finding.ts';

/** Runs a command and returns its stdout (trimmed), or undefined when it cannot run. */
function output(cmd: string, args: string[], timeoutMs = 5000): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout) => {
      // systemctl is-active exits non-zero for "inactive" but still says so.
      if (err && typeof stdout !== 'string') resolve(undefined);
      else resolve(stdout.trim() || undefined);
    });
  });
}

/** Whether systemd runs this machine (sd_booted(3)). */
export function systemdRunning(): boolean {
  return existsSync('/run/systemd/system');
}

/** The intercom service: active, enabled, restarts, and the status line it last sent. */
export async function checkService(unit = 'intercom.service'): Promise<Finding> {
  if (!systemdRunning()) return finding('service', 'skip', 'systemd is not running on this machine; nothing to check');
  const show = await output('systemctl', ['show', unit, '-p', 'LoadState,ActiveState,SubState,UnitFileState,NRestarts,StatusText']);
  if (!show) return finding('service', 'warn', `cannot ask systemd about ${unit}`, 'run: systemctl status intercom');
  const props = Object.fromEntries(show.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  if (props['LoadState'] === 'not-found') {
    return finding('service', 'fail', `${unit} is not installed`, 'run scripts/install.sh as root');
  }
  const state = `${props['ActiveState'] ?? '?'} (${props['SubState'] ?? '?'}), ${props['UnitFileState'] ?? '?'}, ${props['NRestarts'] ?? '0'} restarts`;
  const status = props['StatusText'] ? `; status: ${props['StatusText']}` : '';
  if (props['ActiveState'] !== 'active') {
    return finding('service', 'fail', `${unit} is ${state}${status}`, 'see why: journalctl -u intercom -n 50; then: sudo systemctl restart intercom');
  }
  if (props['UnitFileState'] !== 'enabled') {
    return finding('service', 'warn', `${unit} is ${state}: it will not start at boot`, 'sudo systemctl enable intercom');
  }
  if (Number(props['NRestarts'] ?? '0') > 0) {
    return finding('service', 'warn', `${unit} is ${state}${status}`, 'it crashed or hung before; see journalctl -u intercom -p warning');
  }
  return finding('service', 'ok', `${unit} is ${state}${status}`);
}

/** Whether the clock is synchronised: digest nonces, TLS and log times depend on it. */
export async function checkClock(now = new Date()): Promise<Finding> {
  // A Pi has no battery clock: without NTP it boots with the last saved time.
  if (now.getUTCFullYear() < 2024) {
    return finding('clock', 'fail', `the clock says ${now.toISOString()}`, 'connect to the network and enable NTP: sudo timedatectl set-ntp true');
  }
  if (!systemdRunning()) return finding('clock', 'skip', `${now.toISOString()}; cannot tell whether it is synchronised without systemd`);
  const synced = await output('timedatectl', ['show', '-p', 'NTPSynchronized', '--value']);
  if (synced === 'yes') return finding('clock', 'ok', `synchronised (${now.toISOString()})`);
  if (synced === undefined && existsSync('/run/systemd/timesync/synchronized')) return finding('clock', 'ok', 'synchronised (systemd-timesyncd)');
  return finding('clock', 'warn', `not synchronised (${now.toISOString()})`, 'sudo timedatectl set-ntp true (needs systemd-timesyncd or chrony)');
}

const MB = 1024 * 1024;

/** Free space where the program, logs and state live. */
export function checkDisk(paths = ['/', '/var/log']): Finding {
  const problems: string[] = [];
  const seen: string[] = [];
  for (const p of paths) {
    try {
      const s = statfsSync(p);
      const free = s.bavail * s.bsize;
      const share = s.blocks > 0 ? s.bavail / s.blocks : 1;
      seen.push(`${p} ${Math.round(free / MB)} MB free (${Math.round(share * 100)}%)`);
      if (free < 100 * MB || share < 0.05) problems.push(p);
    } catch {
      // A path that does not exist here is not a problem of the station's.
    }
  }
  if (problems.length > 0) {
    return finding('disk', 'warn', seen.join(', '), `free space on ${problems.join(', ')}: sudo journalctl --vacuum-size=50M; sudo apt-get clean`);
  }
  return finding('disk', 'ok', seen.join(', '));
}

/** Available memory, from /proc/meminfo. */
export function checkMemory(meminfo = '/proc/meminfo'): Finding {
  let text: string;
  try {
    text = readFileSync(meminfo, 'utf8');
  } catch {
    return finding('memory', 'skip', `cannot read ${meminfo}`);
  }
  const kb = (key: string): number | undefined => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const available = kb('MemAvailable');
  const total = kb('MemTotal');
  if (available === undefined || total === undefined) return finding('memory', 'skip', 'no MemAvailable in /proc/meminfo');
  const detail = `${Math.round(available / 1024)} MB available of ${Math.round(total / 1024)} MB`;
  if (available < 64 * 1024) return finding('memory', 'warn', detail, 'stop other programs on this board; the station needs about 60 MB');
  return finding('memory', 'ok', detail);
}
