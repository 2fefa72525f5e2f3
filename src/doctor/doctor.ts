// `intercom doctor`: every check in turn, each with a verdict and a fix. The
// checks that need the config are skipped (and say so) when it is invalid.
import type { Finding } from './finding.ts';
import { finding } from './finding.ts';
import { checkAudioLoopback } from './audio-loopback.ts';
import { checkAudio, checkGpio, checkSerial, type ListDevices } from './hardware-checks.ts';
import { checkConfig, checkRegistration, checkSipServer } from './station-checks.ts';
import { checkClock, checkDisk, checkMemory, checkService } from './system-checks.ts';

export interface DoctorOptions {
  /** How sound devices are listed (default: PortAudio in a child process). */
  listAudio: ListDevices;
  /** Overrides control.socket. */
  socket?: string;
}

/** Runs every check against the config at `configPath`. */
export async function runDoctor(configPath: string, options: DoctorOptions): Promise<Finding[]> {
  const findings: Finding[] = [];
  const { finding: configFinding, config } = checkConfig(configPath);
  findings.push(configFinding);
  if (config) {
    // The network checks run side by side; each has its own deadline.
    const [sip, registration] = await Promise.all([checkSipServer(config), checkRegistration(config, options.socket)]);
    findings.push(sip, registration);
    findings.push(...(await checkAudio(config, options.listAudio)));
    findings.push(await checkAudioLoopback(config, options.socket));
    findings.push(checkGpio(config));
  } else {
    for (const check of ['sip-server', 'registration', 'audio', 'audio-loopback', 'gpio']) {
      findings.push(finding(check, 'skip', 'needs a valid config'));
    }
  }
  findings.push(checkSerial(config), await checkService(), await checkClock(), checkDisk(), checkMemory());
  return findings;
}
