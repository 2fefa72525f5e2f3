// Help texts: what each command does, its options and its exit status.
import { DEFAULT_CONFIG_PATH } from '../config/schema.ts';

const CONFIG = `  -c, --config FILE   config file (default ${DEFAULT_CONFIG_PATH})`;
const SOCKET = '  --socket PATH       control socket to use instead of the config\'s control.socket';
const HELP = '  -h, --help          show this help';

export const MAIN_HELP = `intercom: SIP door station

Usage: intercom <command> [options]

Commands:
  run      run the door station in the foreground
  check    validate the config file without starting anything
  status   show the running station's registration, call and door state
  press    press a button, as if someone rang (default: the first button)
  hangup   end the current call
  open     pulse the door opener
  incoming on|off  take or refuse incoming calls until the next restart or reload
  hw       board profile and live state of buttons, contacts, relay, LEDs, readers
  hash     the hash of a card ID or keypad PIN, for access.cards / access.pins
  outputs-off  drive the opener relay, LEDs and amplifier off (for ExecStopPost=)
  reload   apply the edited config file to the running station (like SIGHUP)
  doctor   check config, SIP server, registration, devices, clock, disk: verdicts and fixes
  demo     a self-contained demonstration (no SIP server, no hardware)
  audio list  the sound devices audio.input / audio.output can name

Options:
  -h, --help      show this help; \`intercom <command> --help\` for a command
  -V, --version   print the version

Exit status: 0 success, 1 failure, 2 bad usage or invalid config.`;

export const COMMAND_HELP: Record<string, string> = {
  run: `Usage: intercom run [--config FILE]

Runs the door station in the foreground until SIGTERM or SIGINT. On the first
signal it hangs up, unregisters and exits; a second signal exits at once.
Logs go to stderr (the journal under systemd).

Options:
${CONFIG}
${HELP}

Exit status: 0 after a clean stop, 1 if it could not start or stop cleanly,
2 on an invalid config.`,

  check: `Usage: intercom check [--config FILE]

Validates the config file without starting anything. Each problem is printed
on stderr as one line naming the key path (e.g. "sip.password: required");
warnings (such as a world-readable secret) are printed but do not fail.

Options:
${CONFIG}
${HELP}

Exit status: 0 valid, 2 invalid.`,

  status: `Usage: intercom status [--config FILE] [--json]

Asks the running station (over control.socket) for its state.

Options:
${CONFIG}
  --json              print one JSON object instead of a summary
${SOCKET}
${HELP}

Exit status: 0, or 1 when no instance answers.`,

  press: `Usage: intercom press [--config FILE] [--button NAME]

Same effect as pressing a button: calls that button's targets.

Options:
${CONFIG}
  -b, --button NAME   which button (default: the first one in the config)
${SOCKET}
${HELP}

Exit status: 0, or 1 when no instance answers or the press was refused.`,

  hangup: `Usage: intercom hangup [--config FILE]

Ends the current call, if any.

Options:
${CONFIG}
${SOCKET}
${HELP}

Exit status: 0, or 1 when no instance answers or it was refused.`,

  open: `Usage: intercom open [--config FILE]

Pulses the door-opener output for door.open_ms.

Options:
${CONFIG}
${SOCKET}
${HELP}

Exit status: 0, or 1 when no instance answers or it was refused.`,

  incoming: `Usage: intercom incoming on|off [--config FILE]

Takes (on) or refuses (off) incoming calls from now on, whatever
incoming.enabled says, until the station restarts or a reload restarts its SIP
side. Only callers in incoming.allow get through even when on. Shown in
\`intercom status\`; also switchable over MQTT.

Options:
${CONFIG}
${SOCKET}
${HELP}

Exit status: 0, or 1 when no instance answers or it was refused.`,

  doctor: `Usage: intercom doctor [--config FILE] [--json]

Checks everything a working door needs and explains what is wrong, each line
with a verdict (ok, WARN, FAIL, - for skipped) and a fix: the config; the SIP
server (it must answer an OPTIONS request); the running station's registration
and its last failure; the sound devices; the GPIO chips of the configured lines;
serial ports; the systemd service; clock synchronisation; disk and memory.
Run it as root or as the intercom user, so it can read the config.

Options:
${CONFIG}
  --json              print one JSON object ({"version", "findings": [...]})
${SOCKET}
${HELP}

Exit status: 0 when no check failed (warnings allowed), 1 otherwise.`,

  reload: `Usage: intercom reload [--config FILE]

Asks the running station to read its config file again and apply it, the same
as \`systemctl reload intercom\` (SIGHUP). An invalid file is refused with one
line per problem and the running config stays in force. Door settings (buttons'
targets, codes, timeouts, log level, codecs) change in place: the registration
and a call in progress stay up. Changes to sip.*, audio devices, GPIO lines or
mqtt restart the SIP side: the station unregisters and registers again, and a
call in progress ends. control.socket and metrics changes need a service restart.

Options:
${CONFIG}
${SOCKET}
${HELP}

Exit status: 0 when applied, 1 when refused (invalid config) or no instance answers.`,

  'audio list': `Usage: intercom audio list [--json]

Lists the sound devices PortAudio sees: capture devices (for audio.input) and
playback devices (for audio.output), each with its index, name, channels,
default sample rate, and which ones are the system's defaults. A device is
named in the config by its index, its name or a unique part of the name.

Options:
  --json              print one JSON object {"devices": [...]} instead
${HELP}

Exit status: 0, or 1 when PortAudio is not available (one line on stderr).`,

  hw: `Usage: intercom hw [--config FILE] [--json]

Shows the board profile in use and the live state of every GPIO input
(buttons, exit button, door contact), output (opener relay, LEDs, amplifier)
and serial reader of the running station.

Options:
${CONFIG}
  --json              print one JSON object instead of a table
${SOCKET}
${HELP}

Exit status: 0, or 1 when no instance answers.`,

  hash: `Usage: intercom hash --card ID | --pin PIN

Prints the hash to list under access.cards (card IDs as the reader sends them,
or as logged in a card.refused line's card_hash) or access.pins (keypad PINs).
The config holds only hashes, never the IDs or PINs themselves.

Options:
  --card ID           a card ID, e.g. 0A1B2C3D4E
  --pin PIN           a keypad PIN, e.g. 2468
${HELP}

Exit status: 0, or 2 when neither or both are given.`,

  'outputs-off': `Usage: intercom outputs-off [--config FILE]

Claims every configured GPIO output (door.relay, gpio.leds.*, gpio.amplifier)
at its inactive level and releases it, so the opener is off. Meant for the
service's ExecStopPost=, which systemd runs even when the station was killed
outright (kill -9, out of memory), when no code of the station could switch
the relay off. While the station runs its lines are busy and this fails.

Options:
${CONFIG}
${HELP}

Exit status: 0 every output is off, 1 one could not be claimed, 2 invalid config.`,

  demo: `Usage: intercom demo

A self-contained demonstration that needs no SIP server and no hardware; it
prints what happens, step by step.

Options:
${HELP}

Exit status: 0 when the demonstration ran through, 1 otherwise.`,
};
