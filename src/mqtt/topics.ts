// Where the door publishes and listens, all below one base topic. Commands are
// taken only from `<base>/command/<name>`; results go to `<base>/result`, which
// is outside the command subtree so the door never hears its own answers.

export interface Topics {
  availability: string;
  /** Retained state: registration, call, door, contact, incoming. */
  state(name: StateName): string;
  /** Events (not retained): `<base>/event/<kind>`. */
  event(kind: string): string;
  command(name: string): string;
  /** The subscription that covers every command topic. */
  commands: string;
  result: string;
}

export type StateName = 'registration' | 'call' | 'door' | 'contact' | 'incoming';

export function topicsFor(base: string): Topics {
  return {
    availability: `${base}/availability`,
    state: (name) => `${base}/state/${name}`,
    event: (kind) => `${base}/event/${kind}`,
    command: (name) => `${base}/command/${name}`,
    commands: `${base}/command/+`,
    result: `${base}/result`,
  };
}

/** The command name of a topic below `<base>/command/`, or undefined for any other topic. */
export function commandName(base: string, topic: string): string | undefined {
  const prefix = `${base}/command/`;
  if (!topic.startsWith(prefix)) return undefined;
  const name = topic.slice(prefix.length);
  return /^[a-z-]{1,32}$/.test(name) ? name : undefined;
}
