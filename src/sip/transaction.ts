// Client and server transactions, RFC 3261 §17, with the RFC 6026 fix for 2xx
// to INVITE. Timers come from the injected clock; the wire from the injected
// transport. Unlike the `sip` package's transactions:
//  - a non-INVITE client transaction that got 100 Trying still times out with
//    Timer F, and keeps retransmitting at T2 (§17.1.2.2);
//  - retransmit intervals are capped at T2 for non-INVITE requests and INVITE
//    responses (§17.1.2.2, §17.2.1);
//  - transport errors end the transaction with a synthetic 503 (§8.1.3.1).
import type { SipRequest, SipResponse } from './message.ts';
import type { Timers, TimerHandle } from './clock.ts';
import { isReliable, type Endpoint, type SipTransportPort } from './transport-port.ts';

export interface TimerConfig {
  t1: number;
  t2: number;
  t4: number;
}
export const DEFAULT_TIMERS: TimerConfig = { t1: 500, t2: 4000, t4: 5000 };

export type ClientOutcome =
  | { kind: 'response'; response: SipResponse }
  | { kind: 'timeout' }
  | { kind: 'transport-error'; reason: string };

export interface ClientTransactionUser {
  /** Provisional and final responses, and timeouts/transport errors as final outcomes. */
  onOutcome(outcome: ClientOutcome): void;
}

export interface TransactionEnv {
  transport: SipTransportPort;
  timers: Timers;
  config: TimerConfig;
  /** Called once the transaction is over and may be forgotten. */
  onTerminated(key: string): void;
}

/** The transaction key of a message: branch + method (ACK and CANCEL matched per §17.1.3 / §17.2.3). */
export function transactionKey(branch: string, method: string): string {
  return `${branch}|${method === 'ACK' ? 'INVITE' : method}`;
}

type ClientState = 'calling' | 'trying' | 'proceeding' | 'completed' | 'accepted' | 'terminated';

/** An INVITE or non-INVITE client transaction (§17.1.1, §17.1.2). */
export class ClientTransaction {
  readonly key: string;
  private state: ClientState;
  private retransmitTimer?: TimerHandle;
  private timeoutTimer?: TimerHandle;
  private endTimer?: TimerHandle;
  private interval: number;
  private readonly reliable: boolean;

  constructor(
    readonly request: SipRequest,
    readonly dest: Endpoint,
    private readonly tu: ClientTransactionUser,
    private readonly env: TransactionEnv,
  ) {
    const branch = String(request.headers.via[0]?.params.branch ?? '');
    this.key = transactionKey(branch, request.method);
    this.reliable = isReliable(dest.protocol);
    this.state = this.isInvite ? 'calling' : 'trying';
    this.interval = env.config.t1;
  }

  get isInvite(): boolean {
    return this.request.method === 'INVITE';
  }

  /** Sends the request and starts Timers A/B or E/F. */
  start(): void {
    this.transmit();
    const { t1 } = this.env.config;
    if (!this.reliable) this.retransmitTimer = this.env.timers.set(this.interval, () => this.retransmit());
    // Timer B (INVITE) or Timer F (non-INVITE): 64*T1.
    this.timeoutTimer = this.env.timers.set(64 * t1, () => {
      if (this.state === 'calling' || this.state === 'trying' || this.state === 'proceeding') {
        // §17.1.1.2: an INVITE in Proceeding waits for the TU (CANCEL), not Timer B.
        if (this.isInvite && this.state === 'proceeding') return;
        this.finish({ kind: 'timeout' });
      }
    });
  }

  private transmit(): void {
    this.env.transport.send(this.request, this.dest, (reason) => {
      if (this.state !== 'terminated' && this.state !== 'completed' && this.state !== 'accepted') {
        this.finish({ kind: 'transport-error', reason });
      }
    });
  }

  private retransmit(): void {
    if (this.state === 'calling') {
      this.transmit();
      this.interval *= 2; // Timer A doubles without a cap (§17.1.1.2).
    } else if (this.state === 'trying' || this.state === 'proceeding') {
      this.transmit();
      // Timer E: doubles up to T2; in Proceeding it fires every T2.
      this.interval = this.state === 'proceeding' ? this.env.config.t2 : Math.min(this.interval * 2, this.env.config.t2);
    } else {
      return;
    }
    this.retransmitTimer = this.env.timers.set(this.interval, () => this.retransmit());
  }

  /** Feeds a response matched to this transaction. */
  receive(res: SipResponse): void {
    const s = res.status;
    switch (this.state) {
      case 'calling':
      case 'trying':
      case 'proceeding':
        if (s < 200) {
          if (this.isInvite) this.env.timers.clear(this.retransmitTimer);
          this.state = 'proceeding';
          this.tu.onOutcome({ kind: 'response', response: res });
          return;
        }
        this.env.timers.clear(this.retransmitTimer);
        this.env.timers.clear(this.timeoutTimer);
        if (this.isInvite && s < 300) {
          // RFC 6026: Accepted state absorbs 2xx retransmissions for the TU (Timer M).
          this.state = 'accepted';
          this.tu.onOutcome({ kind: 'response', response: res });
          this.endTimer = this.env.timers.set(64 * this.env.config.t1, () => this.terminate());
          return;
        }
        this.state = 'completed';
        if (this.isInvite) this.sendAck(res);
        this.tu.onOutcome({ kind: 'response', response: res });
        // Timer D (32 s on UDP) or Timer K (T4 on UDP); zero on reliable transports.
        this.endTimer = this.env.timers.set(this.reliable ? 0 : this.isInvite ? 32000 : this.env.config.t4, () => this.terminate());
        return;
      case 'completed':
        if (this.isInvite && s >= 300) this.sendAck(res);
        return;
      case 'accepted':
        if (s >= 200 && s < 300) this.tu.onOutcome({ kind: 'response', response: res });
        return;
      default:
        return;
    }
  }

  // §17.1.1.3: the ACK for a non-2xx final response belongs to the transaction.
  private sendAck(res: SipResponse): void {
    const rq = this.request;
    const ack: SipRequest = {
      kind: 'request',
      method: 'ACK',
      uri: rq.uri,
      headers: {
        via: [rq.headers.via[0]!],
        maxForwards: 70,
        from: rq.headers.from,
        to: res.headers.to,
        callId: rq.headers.callId,
        cseq: { seq: rq.headers.cseq.seq, method: 'ACK' },
        other: {},
        ...(rq.headers.route ? { route: rq.headers.route } : {}),
      },
      body: Buffer.alloc(0),
    };
    this.env.transport.send(ack, this.dest);
  }

  private finish(outcome: ClientOutcome): void {
    this.terminate();
    this.tu.onOutcome(outcome);
  }

  /** Ends the transaction at once (also used on shutdown). */
  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.env.timers.clear(this.retransmitTimer);
    this.env.timers.clear(this.timeoutTimer);
    this.env.timers.clear(this.endTimer);
    this.env.onTerminated(this.key);
  }
}

type ServerState = 'trying' | 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';

/** An INVITE or non-INVITE server transaction (§17.2.1, §17.2.2). */
export class ServerTransaction {
  readonly key: string;
  private state: ServerState;
  private last?: SipResponse;
  private retransmitTimer?: TimerHandle;
  private timeoutTimer?: TimerHandle;
  private endTimer?: TimerHandle;
  private readonly reliable: boolean;
  /** Set when the TU should hear of an ACK matched to a non-2xx final (for logs). */
  onAck?: () => void;
  /**
   * Set when the TU should hear of a CANCEL matched to this INVITE before its
   * final response (§9.2). The TU may answer 487 itself (with the To tag of its
   * provisional responses, §8.2.6.2); otherwise the core does right after.
   */
  onCancel?: () => void;

  constructor(
    readonly request: SipRequest,
    /** Where responses go: the Via-derived address (§18.2.2, RFC 3581 §4). */
    readonly responseDest: Endpoint,
    private readonly env: TransactionEnv,
  ) {
    const branch = String(request.headers.via[0]?.params.branch ?? '');
    this.key = transactionKey(branch, request.method);
    this.reliable = isReliable(responseDest.protocol);
    this.state = request.method === 'INVITE' ? 'proceeding' : 'trying';
  }

  get isInvite(): boolean {
    return this.request.method === 'INVITE';
  }

  get finished(): boolean {
    return this.state !== 'trying' && this.state !== 'proceeding';
  }

  /** Sends a response built by the TU. */
  respond(res: SipResponse): void {
    if (this.finished) return;
    this.last = res;
    this.env.transport.send(res, this.responseDest);
    if (res.status < 200) {
      this.state = 'proceeding';
      return;
    }
    if (this.isInvite && res.status < 300) {
      // RFC 6026 §7.1: Accepted; the TU retransmits the 2xx until its ACK arrives.
      this.state = 'accepted';
      this.endTimer = this.env.timers.set(64 * this.env.config.t1, () => this.terminate());
      return;
    }
    this.state = 'completed';
    if (this.isInvite) {
      let interval = this.env.config.t1;
      const g = () => {
        if (this.state !== 'completed') return;
        this.env.transport.send(this.last!, this.responseDest);
        interval = Math.min(interval * 2, this.env.config.t2);
        this.retransmitTimer = this.env.timers.set(interval, g);
      };
      if (!this.reliable) this.retransmitTimer = this.env.timers.set(interval, g); // Timer G
      this.timeoutTimer = this.env.timers.set(64 * this.env.config.t1, () => this.terminate()); // Timer H
    } else {
      this.endTimer = this.env.timers.set(this.reliable ? 0 : 64 * this.env.config.t1, () => this.terminate()); // Timer J
    }
  }

  /** Feeds a retransmitted request (or the ACK of a non-2xx) matched to this transaction. */
  receive(req: SipRequest): void {
    if (req.method === 'ACK') {
      if (this.state === 'completed' && this.isInvite) {
        this.state = 'confirmed';
        this.env.timers.clear(this.retransmitTimer);
        this.env.timers.clear(this.timeoutTimer);
        this.endTimer = this.env.timers.set(this.reliable ? 0 : this.env.config.t4, () => this.terminate()); // Timer I
        this.onAck?.();
      }
      return;
    }
    if (this.last && (this.state === 'proceeding' || this.state === 'completed')) this.env.transport.send(this.last, this.responseDest);
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.env.timers.clear(this.retransmitTimer);
    this.env.timers.clear(this.timeoutTimer);
    this.env.timers.clear(this.endTimer);
    this.env.onTerminated(this.key);
  }
}
