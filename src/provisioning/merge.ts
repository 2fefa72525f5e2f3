// Which settings come from the provisioning server and which stay on the door.
//
// The rule: the provisioned document is a whole config (the same format as a
// local file) and supplies everything, except what only the door itself may
// decide or know:
// - `provisioning:`: where to fetch from and whose signature to trust. A
//   document that could move its own URL or key could lock its owner out;
// - `control:`: the local socket the commands talk through;
// - `sip.password` / `sip.password_file`: the secret stays on the door, so the
//   document can be served to (and cached by) anything without giving it away.
// Those keys are refused in the document, and every other key is refused in a
// local file that has `provisioning:`, so each setting has exactly one source.
// Pure: data in, data or one-line problems out.

export type Merged = { ok: true; data: Record<string, unknown> } | { ok: false; errors: string[] };

const LOCAL_TOP = ['provisioning', 'control'];
const LOCAL_SIP = ['password', 'password_file'];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** True when parsed config data asks for provisioning (an empty `provisioning:` does not). */
export function wantsProvisioning(data: unknown): data is Record<string, unknown> {
  return isRecord(data) && data['provisioning'] !== undefined && data['provisioning'] !== null;
}

/** Problems with keys of a local file (named `where`) that belong in the provisioned document. */
export function misplacedLocalKeys(local: Record<string, unknown>, where: string): string[] {
  const errors: string[] = [];
  for (const key of Object.keys(local)) {
    if (key === 'sip' && isRecord(local['sip'])) {
      for (const k of Object.keys(local['sip'])) {
        if (!LOCAL_SIP.includes(k)) errors.push(`${where}: sip.${k}: comes from provisioning.url when provisioning is set; remove it here`);
      }
    } else if (!LOCAL_TOP.includes(key) && key !== 'sip') {
      errors.push(`${where}: ${key}: comes from provisioning.url when provisioning is set; remove it here`);
    }
  }
  return errors;
}

/** Problems with keys of the provisioned document (named `where`) that may only be set on the door. */
function misplacedRemoteKeys(remote: Record<string, unknown>, where: string): string[] {
  const errors: string[] = [];
  for (const key of LOCAL_TOP) {
    if (key in remote) errors.push(`${where}: ${key}: may only be set in the door's local config file`);
  }
  const sip = remote['sip'];
  if (isRecord(sip)) {
    for (const key of LOCAL_SIP) {
      if (key in sip) errors.push(`${where}: sip.${key}: the SIP secret stays on the door; set it in the local config file`);
    }
  }
  return errors;
}

/** The config to validate: the document with the door's own keys laid over it. */
export function mergeProvisioned(local: Record<string, unknown>, remote: unknown, names: { local: string; remote: string }): Merged {
  if (!isRecord(remote)) return { ok: false, errors: [`${names.remote}: must be a config mapping (sip:, buttons:, ...)`] };
  const errors = [...misplacedLocalKeys(local, names.local), ...misplacedRemoteKeys(remote, names.remote)];
  if (errors.length > 0) return { ok: false, errors };
  const data: Record<string, unknown> = { ...remote };
  for (const key of LOCAL_TOP) if (key in local) data[key] = local[key];
  const localSip = isRecord(local['sip']) ? local['sip'] : {};
  if (isRecord(remote['sip'])) data['sip'] = { ...remote['sip'], ...localSip };
  else if (Object.keys(localSip).length > 0) data['sip'] = localSip;
  return { ok: true, data };
}
