/**
 * Why a port did not open, in words a user can act on. serialport reports errno text inside its message
 * ("Error: Permission denied, cannot open /dev/ttyACM0", "Error Resource temporarily unavailable Cannot
 * lock port"), so classification goes by code when there is one and by text otherwise.
 */
import { errorMessage } from '../core/errors.js';

export type OpenFailure = 'permission' | 'busy' | 'missing' | 'other';

export function classifyOpenError(err: unknown): OpenFailure {
  const code = (err as { code?: unknown } | null)?.code;
  const text = errorMessage(err);
  if (code === 'EACCES' || code === 'EPERM' || /permission denied|operation not permitted/i.test(text)) return 'permission';
  if (code === 'EBUSY' || code === 'EAGAIN' || /cannot lock port|resource busy|temporarily unavailable|device or resource busy/i.test(text)) return 'busy';
  if (code === 'ENOENT' || code === 'ENXIO' || code === 'ENODEV' || /no such file|no such device/i.test(text)) return 'missing';
  return 'other';
}

export function explainOpenError(kind: OpenFailure, path: string, err: unknown): string {
  const raw = errorMessage(err);
  switch (kind) {
    case 'permission':
      return `cannot open ${path}: permission denied. Add the user to the group owning it (usually dialout: sudo usermod -aG dialout $USER, then log in again) or install the udev rule in docs/serial.md (${raw})`;
    case 'busy':
      return `cannot open ${path}: in use by another process (a second sensebind, a serial monitor, ModemManager?); find it with: fuser -v ${path} (${raw})`;
    case 'missing':
      return `${path} is not there (unplugged?); retrying (${raw})`;
    case 'other':
      return `cannot open ${path}: ${raw}`;
  }
}
