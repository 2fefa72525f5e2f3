import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { judgeIncoming as judge, RefusalLog, type IncomingPolicy } from '../../src/intercom/incoming-policy.ts';

/** The verdict, with `reason` readable whichever way it went. */
const judgeIncoming = (p: IncomingPolicy, from: string, source: string) => {
  const v = judge(p, from, source);
  return v.accept ? { ...v, reason: undefined } : v;
};

const policy: IncomingPolicy = { enabled: true, allow: ['101', 'sip:ops@office.example'], domain: 'pbx.example', registrar: '10.0.0.1' };

describe('incoming-call policy', () => {
  it('accepts listed users arriving from the registrar', () => {
    assert.deepEqual(judge(policy, 'sip:101@pbx.example', '10.0.0.1'), { accept: true, caller: 'sip:101@pbx.example' });
    assert.deepEqual(judgeIncoming(policy, 'sip:101@PBX.example:5060', '10.0.0.1').accept, true);
    assert.deepEqual(judgeIncoming(policy, 'sip:ops@office.example', '10.0.0.1').accept, true);
  });

  it('refuses anything not from the registrar, whoever it claims to be, with a 403 that tells nothing', () => {
    assert.deepEqual(judgeIncoming(policy, 'sip:101@pbx.example', '203.0.113.9'), { accept: false, reason: 'not-from-registrar', status: 403, phrase: 'Forbidden' });
    assert.equal(judgeIncoming({ ...policy, enabled: false }, 'sip:101@pbx.example', '203.0.113.9').reason, 'not-from-registrar');
  });

  it('refuses users not on the list, users of another domain, and everything when disabled', () => {
    assert.equal(judgeIncoming(policy, 'sip:102@pbx.example', '10.0.0.1').reason, 'not-allowed');
    assert.equal(judgeIncoming(policy, 'sip:101@evil.example', '10.0.0.1').reason, 'not-allowed');
    assert.equal(judgeIncoming(policy, 'sip:ops@pbx.example', '10.0.0.1').reason, 'not-allowed');
    assert.equal(judgeIncoming(policy, 'tel:+4930123', '10.0.0.1').reason, 'not-allowed');
    assert.deepEqual(judgeIncoming({ ...policy, enabled: false }, 'sip:101@pbx.example', '10.0.0.1'), {
      accept: false,
      reason: 'disabled',
      status: 603,
      phrase: 'Decline',
    });
  });

  it('a flood of refusals costs one line per source and a summary a minute', () => {
    const r = new RefusalLog(60_000);
    const lines = [];
    for (let i = 0; i < 1000; i++) lines.push(r.note('203.0.113.9', 'not-from-registrar', i * 10));
    const logged = lines.filter((l) => l !== undefined);
    assert.deepEqual(logged[0], { event: 'incoming.refused', fields: { from: '203.0.113.9', reason: 'not-from-registrar' } });
    assert.equal(logged.length, 2, 'the first refusal, then one summary within the minute');
    assert.equal(r.count, 1000);
    assert.equal(r.note('203.0.113.9', 'not-from-registrar', 70_000)?.event, 'incoming.refused-summary');
  });
});
