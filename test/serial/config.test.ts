import { describe, expect, it } from 'vitest';
import { serialPortSchema, serialSchema } from '../../src/config/serial.js';
import { configSchema } from '../../src/config/schema.js';

describe('serial config section', () => {
  it('is an empty list by default and part of the whole config', () => {
    expect(serialSchema.parse(undefined)).toEqual([]);
    expect(configSchema.parse({}).serial).toEqual([]);
  });
  it('fills every default of a port', () => {
    expect(serialPortSchema.parse({ path: '/dev/ttyACM0' })).toEqual({
      id: '',
      path: '/dev/ttyACM0',
      usb: { vendorId: '', productId: '', serialNumber: '' },
      baudRate: 921600,
      timeSyncIntervalSeconds: 1,
      garbageBytes: 2048,
      reconnect: { initialMs: 250, maxMs: 5000, jitter: 0.2 },
    });
  });
  it('rejects a port with neither path nor USB match, bad ids and unknown keys, naming the key', () => {
    const r = serialSchema.safeParse([{ baudRate: 115200 }, { usb: { vendorId: 'esp' } }, { path: '/dev/x', bogus: 1 }]);
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toContain('0');
    expect(paths).toContain('1.usb.vendorId');
    expect(r.error!.issues.some((i) => i.code === 'unrecognized_keys' && i.path.join('.') === '2')).toBe(true);
  });
});
