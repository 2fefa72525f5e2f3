// The uAPI v2 structs as the kernel lays them out (linux/gpio.h, checked
// against the header's sizeof/offsetof on x86_64; the structs are packed to
// 8 bytes and identical on arm64 and armhf).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  GPIO_GET_CHIPINFO_IOCTL,
  GPIO_V2_GET_LINEINFO_IOCTL,
  GPIO_V2_GET_LINE_IOCTL,
  GPIO_V2_LINE_GET_VALUES_IOCTL,
  GPIO_V2_LINE_SET_VALUES_IOCTL,
  LINE_REQUEST_SIZE,
  LineFlag,
  decodeChipInfo,
  decodeLineEvent,
  decodeLineRequest,
  encodeLineRequest,
  encodeLineValues,
  requestFd,
} from '../../src/io/gpio-uapi.ts';

describe('GPIO uAPI v2 encoding', () => {
  it('uses the kernel ioctl numbers', () => {
    assert.equal(GPIO_V2_GET_LINE_IOCTL, 0xc250b407);
    assert.equal(GPIO_V2_GET_LINEINFO_IOCTL, 0xc100b405);
    assert.equal(GPIO_V2_LINE_GET_VALUES_IOCTL, 0xc010b40e);
    assert.equal(GPIO_V2_LINE_SET_VALUES_IOCTL, 0xc010b40f);
    assert.equal(GPIO_GET_CHIPINFO_IOCTL, 0x8044b401);
  });

  it('lays out a line request at the kernel offsets', () => {
    const buf = encodeLineRequest({ offset: 27, consumer: 'intercom', flags: LineFlag.OUTPUT | LineFlag.ACTIVE_LOW, initial: false });
    assert.equal(buf.length, LINE_REQUEST_SIZE);
    assert.equal(buf.readUInt32LE(0), 27); // offsets[0]
    assert.equal(buf.subarray(256, 264).toString(), 'intercom'); // consumer
    assert.equal(buf.readBigUInt64LE(288), LineFlag.OUTPUT | LineFlag.ACTIVE_LOW); // config.flags
    assert.equal(buf.readUInt32LE(296), 1); // config.num_attrs
    assert.equal(buf.readUInt32LE(320), 2); // attrs[0].attr.id = OUTPUT_VALUES
    assert.equal(buf.readBigUInt64LE(328), 0n); // attrs[0].attr.values
    assert.equal(buf.readBigUInt64LE(336), 1n); // attrs[0].mask
    assert.equal(buf.readUInt32LE(560), 1); // num_lines
    buf.writeInt32LE(42, 588);
    assert.equal(requestFd(buf), 42);
    const back = decodeLineRequest(buf);
    assert.equal(back.offset, 27);
    assert.equal(back.initial, false);
    assert.equal(back.consumer, 'intercom');
  });

  it('an input request carries no output values', () => {
    const buf = encodeLineRequest({ offset: 17, consumer: 'x', flags: LineFlag.INPUT | LineFlag.EDGE_FALLING });
    assert.equal(buf.readUInt32LE(296), 0);
    assert.equal(decodeLineRequest(buf).initial, undefined);
  });

  it('decodes an edge event record', () => {
    const rec = Buffer.alloc(96);
    rec.writeBigUInt64LE(123456789n, 48);
    rec.writeUInt32LE(2, 56); // GPIO_V2_LINE_EVENT_FALLING_EDGE
    rec.writeUInt32LE(17, 60);
    rec.writeUInt32LE(5, 64);
    rec.writeUInt32LE(3, 68);
    assert.deepEqual(decodeLineEvent(rec, 48), { timestampNs: 123456789n, rising: false, offset: 17, seqno: 5, lineSeqno: 3 });
  });

  it('values and chip info', () => {
    const v = encodeLineValues(true);
    assert.equal(v.readBigUInt64LE(0), 1n);
    assert.equal(v.readBigUInt64LE(8), 1n);
    const info = Buffer.alloc(68);
    info.write('gpiochip0', 0);
    info.write('pinctrl-bcm2711', 32);
    info.writeUInt32LE(58, 64);
    assert.deepEqual(decodeChipInfo(info), { name: 'gpiochip0', label: 'pinctrl-bcm2711', lines: 58 });
  });
});
