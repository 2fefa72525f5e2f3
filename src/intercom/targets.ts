// Call targets as written in the config ("101", "+4930123", "sip:101@pbx")
// turned into Request-URIs in the door's domain.

/** A config target as a SIP URI: user parts get the SIP domain. */
export function targetUri(target: string, domain: string): string {
  if (/^sips?:/i.test(target)) return target;
  return `sip:${target}@${domain}`;
}

/** Whether a transfer target (a Refer-To URI) lies in the door's SIP domain or at its registrar. */
export function transferAllowed(uri: string, domain: string, registrar: string | undefined): boolean {
  const m = /^sips?:(?:[^@;?]+@)?([^:;?>]+)/i.exec(uri);
  const host = m?.[1]?.toLowerCase();
  return host !== undefined && (host === domain.toLowerCase() || host === registrar);
}
