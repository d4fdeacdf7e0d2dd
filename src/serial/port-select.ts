/**
 * Finding a port: by path, or by USB vendor/product/serial number. `SerialPort.list()` asks udev, which
 * containers and minimal images often lack (it throws or finds nothing); then the same facts are read
 * from sysfs (/sys/class/tty/<name>/device -> the USB interface -> its parent device's idVendor etc.).
 */
import { readdirSync, readFileSync, realpathSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { errorMessage } from '../core/errors.js';

export interface PortInfo {
  path: string;
  vendorId?: string;
  productId?: string;
  serialNumber?: string;
  manufacturer?: string;
}

export interface UsbMatch {
  vendorId: string;
  productId: string;
  serialNumber: string;
}

/** Ports whose USB identity matches every non-empty field of `want` (hex ids case-insensitive). */
export function matchPorts(ports: readonly PortInfo[], want: UsbMatch): PortInfo[] {
  const same = (a: string | undefined, b: string) => b === '' || (a ?? '').toLowerCase() === b.toLowerCase();
  return ports.filter(
    (p) => same(p.vendorId, want.vendorId) && same(p.productId, want.productId) && (want.serialNumber === '' || p.serialNumber === want.serialNumber),
  );
}

export function describeUsbMatch(want: UsbMatch): string {
  const parts = [want.vendorId && `vendor ${want.vendorId}`, want.productId && `product ${want.productId}`, want.serialNumber && `serial "${want.serialNumber}"`];
  return parts.filter(Boolean).join(', ');
}

function readAttr(dir: string, name: string): string | undefined {
  try {
    return readFileSync(join(dir, name), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** USB serial ports from sysfs (no udev needed). */
export function listPortsFromSysfs(sysRoot = '/sys/class/tty', devRoot = '/dev'): PortInfo[] {
  let names: string[];
  try {
    names = readdirSync(sysRoot);
  } catch {
    return [];
  }
  const out: PortInfo[] = [];
  for (const name of names) {
    const deviceLink = join(sysRoot, name, 'device');
    if (!existsSync(deviceLink)) continue;
    let dir: string;
    try {
      dir = realpathSync(deviceLink);
    } catch {
      continue;
    }
    // walk up from the tty's interface to the USB device that has idVendor
    for (let i = 0; i < 4 && dir !== '/' && readAttr(dir, 'idVendor') === undefined; i++) dir = dirname(dir);
    const vendorId = readAttr(dir, 'idVendor');
    const info: PortInfo = { path: join(devRoot, name) };
    if (vendorId !== undefined) {
      info.vendorId = vendorId;
      const productId = readAttr(dir, 'idProduct');
      const serialNumber = readAttr(dir, 'serial');
      const manufacturer = readAttr(dir, 'manufacturer');
      if (productId !== undefined) info.productId = productId;
      if (serialNumber !== undefined) info.serialNumber = serialNumber;
      if (manufacturer !== undefined) info.manufacturer = manufacturer;
    } else if (!/^tty(ACM|USB|AMA|S\d)/.test(name)) {
      continue; // virtual consoles and the like
    }
    out.push(info);
  }
  return out;
}

export interface PortListing {
  ports: PortInfo[];
  /** Where the list came from. */
  source: 'udev' | 'sysfs';
  /** Why udev was not used, when it was not. */
  note?: string;
}

/** All serial ports, from udev (serialport's list) or, failing that, sysfs. Never throws. */
export async function listSerialPorts(): Promise<PortListing> {
  let note: string;
  try {
    const { SerialPort } = await import('serialport');
    const ports = await SerialPort.list();
    if (ports.some((p) => p.vendorId !== undefined)) {
      return {
        ports: ports.map((p) => ({
          path: p.path,
          ...(p.vendorId !== undefined ? { vendorId: p.vendorId } : {}),
          ...(p.productId !== undefined ? { productId: p.productId } : {}),
          ...(p.serialNumber !== undefined ? { serialNumber: p.serialNumber } : {}),
          ...(p.manufacturer !== undefined ? { manufacturer: p.manufacturer } : {}),
        })),
        source: 'udev',
      };
    }
    note = 'udev lists no USB serial ports';
  } catch (err) {
    note = `udev unavailable (${errorMessage(err).split('\n')[0]})`;
  }
  return { ports: listPortsFromSysfs(), source: 'sysfs', note };
}
