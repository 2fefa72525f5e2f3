// Doctor checks of the station's own business: its config, the SIP server it
// registers with, and what the running instance says about its registration.
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { ControlClientError, sendControl } from '../control/client.ts';
import { finding, type Finding } from './finding.ts';
import type { StationAnswer } from './integration-checks.ts';
import { probeSipServer } from './sip-options.ts';

/** The config, validated; a failing finding lists every problem. */
export function checkConfig(path: string): { finding: Finding; config?: Config } {
  const r = loadConfig(path);
  if (!r.ok) {
    const denied = r.errors.some((e) => e.includes('permission denied'));
    return {
      finding: finding(
        'config',
        'fail',
        `${path}: ${r.errors.join('; ')}`,
        denied ? 'run as root or as the intercom user: sudo intercom doctor' : `fix each problem named, then: intercom check --config ${path}`,
      ),
    };
  }
  const warn = r.warnings.length > 0;
  const c = r.config;
  const detail = `${path} is valid (${c.sip.user}@${c.sip.domain} via ${c.sip.server.host}:${c.sip.server.port}/${c.sip.transport})`;
  return {
    finding: finding('config', warn ? 'warn' : 'ok', warn ? `${detail}; ${r.warnings.join('; ')}` : detail, warn ? 'see the warnings' : undefined),
    config: c,
  };
}

/** Asks the SIP server for OPTIONS: any answer, even 401 or 404, proves it is there and speaks SIP. */
export async function checkSipServer(config: Config, timeoutMs = 2000): Promise<Finding> {
  const s = config.sip;
  const where = `${s.server.host}:${s.server.port}/${s.transport}`;
  if (s.transport === 'tls') return finding('sip-server', 'skip', `${where}: the OPTIONS probe does not speak TLS`);
  const r = await probeSipServer(
    {
      host: s.server.host,
      port: s.server.port,
      transport: s.transport,
      domain: s.domain,
      ...(s.listen?.host ? { localAddress: s.listen.host } : {}),
    },
    timeoutMs,
  );
  if (r.ok) return finding('sip-server', 'ok', `${where} answered OPTIONS with ${r.status} ${r.reason} in ${r.ms} ms`);
  return finding(
    'sip-server',
    'fail',
    r.error,
    `check sip.server (${s.server.host}) and sip.transport; is the PBX on, and does its firewall let this device in on port ${s.server.port}?`,
  );
}

/** Why a registration fails, in the words of its fix. */
function registrationFix(lastError: string | undefined): string {
  const e = lastError ?? '';
  if (/\b(401|407|403)\b|auth/i.test(e)) return 'the server refused the credentials: check sip.user, sip.auth_user and the password (sip.password_file)';
  if (/\b404\b/.test(e)) return 'the server does not know this user: check sip.user and sip.domain';
  if (/timeout|timed out|no answer|408/i.test(e)) return 'the server does not answer: see the sip-server check';
  return 'see journalctl -u intercom -n 50';
}

/** Asks the running instance for its status over the control socket; never throws. */
export async function askStation(socket: string): Promise<StationAnswer> {
  try {
    const response = await sendControl(socket, { cmd: 'status' }, 3000);
    if (!response.ok) return { ok: false, error: response.error };
    if (!('status' in response)) return { ok: false, error: 'the running instance sent no status' };
    return { ok: true, status: response.status };
  } catch (err) {
    return { ok: false, error: err instanceof ControlClientError ? err.message : String(err) };
  }
}

/** The running instance's registration state and last failure, as it answered over the control socket. */
export function checkRegistration(config: Config, station: StationAnswer): Finding {
  if (!station.ok) {
    return finding('registration', 'fail', station.error, 'start it: sudo systemctl start intercom; see why it stopped: journalctl -u intercom -n 50');
  }
  const st = station.status;
  if (st.registered) {
    return finding('registration', 'ok', `registered as ${config.sip.user}@${config.sip.domain}${st.registration.expiresAt ? ` until ${st.registration.expiresAt}` : ''}`);
  }
  const last = st.registration.lastError;
  return finding('registration', 'fail', `not registered (${st.registration.state}${last ? `; last failure: ${last}` : ''})`, registrationFix(last));
}
