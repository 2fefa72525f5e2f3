// A process that runs the station's systemd link with a watchdog, then blocks
// its own event loop for a while, as a hung station would. It marks where the
// hang starts and ends on the same notify socket, so the order of datagrams
// alone shows whether keep-alives went out during the hang.
// Usage: node --import tsx watchdog-child.ts HANG_MS  (with NOTIFY_SOCKET and WATCHDOG_USEC set)
import { silentLogger } from '../../src/log/logger.ts';
import { systemdNotifier } from '../../src/service/sd-notify.ts';
import { linkToSystemd } from '../../src/service/systemd-link.ts';

const hangMs = Number(process.argv[2] ?? '1000');
const pingMs = Number(process.env['WATCHDOG_USEC']) / 2000;
const notifier = systemdNotifier();
const link = linkToSystemd(
  () => ({ registered: true, registration: { state: 'registered' }, call: null, door: { open: false, opened: 0 } }),
  silentLogger(),
  { notifier },
);
link.ready();

let ticks = 0;
const beforeHang = setInterval(() => {
  ticks += 1;
  if (ticks < 3) return;
  clearInterval(beforeHang);
  notifier.notify('X_TEST=hang-start');
  const until = Date.now() + hangMs;
  while (Date.now() < until) {
    // Busy: no timer on this event loop can fire.
  }
  notifier.notify('X_TEST=hang-end');
  // The overdue keep-alive fires first once the loop runs again.
  setTimeout(() => {
    link.stopping();
    process.exit(0);
  }, pingMs * 3);
}, pingMs);
