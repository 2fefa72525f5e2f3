// `intercom doctor`: every check in turn, each with a verdict and a fix. The
// checks that need the config are skipped (and say so) when it is invalid.
import type { Finding } from './finding.ts';
import { finding } from './finding.ts';
import { checkAudioLoopback } from './audio-loopback.ts';
import { checkAudio, checkGpio, checkSerial, type ListDevices } from './hardware-checks.ts';
import { askStation, checkConfig, checkRegistration, checkSipServer } from './station-checks.ts';
import { checkMetrics, checkMqtt, checkProvisioning } from './integration-checks.ts';
import { httpGet } from './http-probe.ts';
import { probeBroker } from '../mqtt/probe.ts';
import { readCache } from '../provisioning/cache.ts';
import { shownUrl } from '../provisioning/device-url.ts';
import { checkClock, checkDisk, checkMemory, checkService } from './system-checks.ts';

export interface DoctorOptions {
  /** How sound devices are listed (default: PortAudio in a child process). */
  listAudio: ListDevices;
  /** Overrides control.socket. */
  socket?: string;
}

/** How long the broker may take to accept the doctor's login. */
const MQTT_TIMEOUT_MS = 3000;

/** Runs every check against the config at `configPath`. */
export async function runDoctor(configPath: string, options: DoctorOptions): Promise<Finding[]> {
  const findings: Finding[] = [];
  const { finding: configFinding, config } = checkConfig(configPath);
  findings.push(configFinding);
  if (config) {
    // The network checks run side by side; each has its own deadline.
    const [sip, station] = await Promise.all([checkSipServer(config), askStation(options.socket ?? config.control.socket)]);
    findings.push(sip, checkRegistration(config, station));
    const [mqtt, metrics] = await Promise.all([
      checkMqtt(config, station, (m) => probeBroker(m, MQTT_TIMEOUT_MS)),
      checkMetrics(config, station, (url) => httpGet(url)),
    ]);
    const cached = config.provisioning ? readCache(config.provisioning.cache) : undefined;
    const inCache = cached?.ok ? { url: shownUrl(cached.doc.url), fetched_at: cached.doc.fetched_at } : undefined;
    findings.push(mqtt, metrics, checkProvisioning(config, station, inCache));
    findings.push(...(await checkAudio(config, options.listAudio)));
    findings.push(await checkAudioLoopback(config, options.socket));
    findings.push(checkGpio(config));
  } else {
    for (const check of ['sip-server', 'registration', 'mqtt', 'metrics', 'provisioning', 'audio', 'audio-loopback', 'gpio']) {
      findings.push(finding(check, 'skip', 'needs a valid config'));
    }
  }
  findings.push(checkSerial(config), await checkService(), await checkClock(), checkDisk(), checkMemory());
  return findings;
}
