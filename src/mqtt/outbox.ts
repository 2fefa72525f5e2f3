// What the door has to say over MQTT, held so that a slow or absent broker
// never holds up the door. State is kept as its latest value only (retained
// topics: an old value is worth nothing once a newer one exists) and is all
// published again on every (re)connect. Events queue while offline, bounded:
// the oldest are dropped and counted, so an outage of a week costs a fixed
// amount of memory.

export interface OutMessage {
  topic: string;
  payload: string;
  retain: boolean;
  qos: 0 | 1;
}

export const DEFAULT_EVENT_QUEUE = 100;

export class Outbox {
  private readonly latest = new Map<string, string>();
  private queued: OutMessage[] = [];
  private droppedCount = 0;

  constructor(private readonly maxQueued = DEFAULT_EVENT_QUEUE) {}

  /** Records a state value; returns the message to publish now, when online and it changed. */
  state(topic: string, payload: string, online: boolean): OutMessage | undefined {
    if (this.latest.get(topic) === payload) return undefined;
    this.latest.set(topic, payload);
    return online ? { topic, payload, retain: true, qos: 1 } : undefined;
  }

  /** An event: published now when online, otherwise queued (dropping the oldest when full). */
  event(topic: string, payload: string, online: boolean): OutMessage | undefined {
    const msg: OutMessage = { topic, payload, retain: false, qos: 1 };
    if (online) return msg;
    this.queued.push(msg);
    if (this.queued.length > this.maxQueued) {
      this.queued.shift();
      this.droppedCount++;
    }
    return undefined;
  }

  /** Everything to send after a (re)connect: every state's latest value, then the queued events in order. */
  flush(): OutMessage[] {
    const state = [...this.latest].map(([topic, payload]) => ({ topic, payload, retain: true, qos: 1 as const }));
    const events = this.queued;
    this.queued = [];
    return [...state, ...events];
  }

  /** Events dropped because the offline queue was full, since start. */
  get dropped(): number {
    return this.droppedCount;
  }

  get pending(): number {
    return this.queued.length;
  }
}
