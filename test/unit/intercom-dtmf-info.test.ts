import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dtmfFromInfo } from '../../src/intercom/dtmf-info.ts';

test('SIP INFO keys: application/dtmf-relay and application/dtmf; anything else carries none', () => {
  const b = (s: string) => Buffer.from(s);
  assert.equal(dtmfFromInfo('application/dtmf-relay', b('Signal=5\r\nDuration=160\r\n')), '5');
  assert.equal(dtmfFromInfo('Application/DTMF-Relay; charset=x', b('signal= #\r\nDuration=100')), '#');
  assert.equal(dtmfFromInfo('application/dtmf-relay', b('Duration=160\r\nSignal=d\r\n')), 'D');
  assert.equal(dtmfFromInfo('application/dtmf', b('7\r\n')), '7');
  assert.equal(dtmfFromInfo('application/dtmf-relay', b('Signal=55')), undefined);
  assert.equal(dtmfFromInfo('application/dtmf-relay', b('Signal=X')), undefined);
  assert.equal(dtmfFromInfo('text/plain', b('Signal=5')), undefined);
  assert.equal(dtmfFromInfo(undefined, b('Signal=5')), undefined);
});
