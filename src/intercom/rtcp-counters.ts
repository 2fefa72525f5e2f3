// The RTCP part of `intercom status`: what the media session counted, in the
// shape the outside interface shows.
import type { RtpSessionStats } from '../media/rtp-session.ts';
import type { RtcpCounters } from './station-api.ts';

export function rtcpCounters(s: RtpSessionStats): RtcpCounters {
  const r = s.remoteReport;
  return {
    sent: s.rtcpSent,
    received: s.rtcpReceived,
    ...(r?.rttMs !== undefined ? { rttMs: Math.round(r.rttMs * 10) / 10 } : {}),
    ...(r ? { peerLoss: r.fractionLost } : {}),
  };
}
