import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { classifyOpenError, explainOpenError } from '../../src/serial/open-error.js';
import { listPortsFromSysfs, listSerialPorts, matchPorts } from '../../src/serial/port-select.js';

const root = mkdtempSync(join(tmpdir(), 'sb-sysfs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('port selection', () => {
  const ports = [
    { path: '/dev/ttyACM0', vendorId: '303a', productId: '1001', serialNumber: 'F4:12:FA:00:11:22' },
    { path: '/dev/ttyACM1', vendorId: '2E8A', productId: '000a', serialNumber: 'E6614C311B6F2A2B' },
    { path: '/dev/ttyS0' },
  ];
  it('matches by any non-empty subset of vendor, product and serial number', () => {
    expect(matchPorts(ports, { vendorId: '2e8a', productId: '', serialNumber: '' }).map((p) => p.path)).toEqual(['/dev/ttyACM1']);
    expect(matchPorts(ports, { vendorId: '', productId: '', serialNumber: 'F4:12:FA:00:11:22' }).map((p) => p.path)).toEqual(['/dev/ttyACM0']);
    expect(matchPorts(ports, { vendorId: '303a', productId: '1002', serialNumber: '' })).toEqual([]);
  });

  it('reads USB identities from a sysfs tree when udev is missing', () => {
    // /sys/class/tty/ttyACM7/device -> .../1-1:1.0 (interface); idVendor lives on the parent 1-1
    const usbDev = join(root, 'devices', 'usb1', '1-1');
    const iface = join(usbDev, '1-1:1.0');
    mkdirSync(iface, { recursive: true });
    writeFileSync(join(usbDev, 'idVendor'), '303a\n');
    writeFileSync(join(usbDev, 'idProduct'), '1001\n');
    writeFileSync(join(usbDev, 'serial'), 'F4:12:FA:00:11:22\n');
    writeFileSync(join(usbDev, 'manufacturer'), 'Espressif\n');
    const tty = join(root, 'class', 'tty');
    mkdirSync(join(tty, 'ttyACM7'), { recursive: true });
    symlinkSync(iface, join(tty, 'ttyACM7', 'device'));
    mkdirSync(join(tty, 'tty5'), { recursive: true }); // a virtual console: no device link
    expect(listPortsFromSysfs(tty, '/dev')).toEqual([
      { path: '/dev/ttyACM7', vendorId: '303a', productId: '1001', serialNumber: 'F4:12:FA:00:11:22', manufacturer: 'Espressif' },
    ]);
  });

  it('listSerialPorts never throws, and says where its list came from', async () => {
    const listing = await listSerialPorts();
    expect(['udev', 'sysfs']).toContain(listing.source);
    expect(Array.isArray(listing.ports)).toBe(true);
  });
});

describe('open errors', () => {
  it('are classified from serialport messages and explained with the fix', () => {
    const perm = new Error('Error: Permission denied, cannot open /dev/ttyACM0');
    expect(classifyOpenError(perm)).toBe('permission');
    expect(explainOpenError('permission', '/dev/ttyACM0', perm)).toContain('dialout');
    const busy = new Error('Error Resource temporarily unavailable Cannot lock port');
    expect(classifyOpenError(busy)).toBe('busy');
    expect(explainOpenError('busy', '/dev/ttyACM0', busy)).toContain('fuser -v /dev/ttyACM0');
    expect(classifyOpenError(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe('missing');
    expect(classifyOpenError(new Error('Error: No such file or directory, cannot open /dev/ttyUSB9'))).toBe('missing');
    expect(classifyOpenError(new Error('weird'))).toBe('other');
  });
});
