/**
 * The `serial` config section (issue 8): microcontrollers speaking the sensebind serial protocol
 * (firmware-bridge/PROTOCOL.md). A list, empty by default; each entry is one port, chosen by path or by
 * USB identity (which survives re-enumeration: /dev/ttyACM0 becomes ttyACM1 after a replug).
 * Reference: docs/config.md ("serial"); wiring and troubleshooting: docs/serial.md.
 */
import { z } from 'zod';

const hex4 = z
  .string()
  .regex(/^([0-9a-fA-F]{4})?$/, 'four hex digits as lsusb prints them, e.g. "303a", or empty')
  .default('');

const usbMatchSchema = z
  .strictObject({
    /** USB vendor id (hex, e.g. "303a" Espressif, "2e8a" Raspberry Pi); empty = any. */
    vendorId: hex4,
    /** USB product id (hex); empty = any. */
    productId: hex4,
    /** USB serial number string; empty = any. Tells two identical boards apart. */
    serialNumber: z.string().default(''),
  })
  .prefault({});

const reconnectSchema = z
  .strictObject({
    /** First retry delay after the port vanished or failed to open, ms. */
    initialMs: z.number().int().positive().default(250),
    /** Longest delay between retries (capped exponential backoff with jitter), ms. */
    maxMs: z.number().int().positive().default(5000),
    /** Fraction of each delay randomised (0 = none), so ports and robots do not retry in lockstep. */
    jitter: z.number().min(0).max(1).default(0.2),
  })
  .prefault({});

export const serialPortSchema = z
  .strictObject({
    /** Sensor id prefix of this device's samples ("<id>/imu", "<id>/audio"...); empty = the port's file name. */
    id: z
      .string()
      .regex(/^[A-Za-z0-9_.-]*$/, 'letters, digits, "_", "." or "-"')
      .default(''),
    /** Device path, e.g. /dev/ttyACM0 or a stable /dev/serial/by-id/... link; empty = find it by `usb`. */
    path: z.string().default(''),
    /** Find the port by USB identity when `path` is empty. */
    usb: usbMatchSchema,
    /** Line speed. Ignored by USB CDC devices (ESP32-S3/RP2040 native USB); must match the firmware on a UART bridge. */
    baudRate: z.number().int().positive().default(921600),
    /** Seconds between time-sync exchanges after the initial burst. */
    timeSyncIntervalSeconds: z.number().positive().default(1),
    /** Bytes without one valid frame after which the link is reported as garbage (wrong baud rate?). */
    garbageBytes: z.number().int().positive().default(2048),
    reconnect: reconnectSchema,
  })
  .refine((p) => p.path !== '' || p.usb.vendorId !== '' || p.usb.productId !== '' || p.usb.serialNumber !== '', {
    message: 'set `path`, or at least one of usb.vendorId / usb.productId / usb.serialNumber',
  });

export const serialSchema = z.array(serialPortSchema).default([]);

export type SerialPortConfig = z.infer<typeof serialPortSchema>;
