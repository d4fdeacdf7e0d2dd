/** Reads firmware-bridge/test-vectors/frames.json into typed frames (shared by the vector and fuzz tests). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BadFrameReason, Frame } from '../../src/serial/protocol.js';

const VECTORS_PATH = fileURLToPath(new URL('../../firmware-bridge/test-vectors/frames.json', import.meta.url));

// The JSON is the shared contract; fields are read by name below, so a loose record type is enough here.
type Json = Record<string, unknown>;

export interface Vector {
  name: string;
  bytes: Uint8Array;
  frame?: Frame;
  meaning?: Json;
  error?: BadFrameReason;
}

function hexToBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));
}

function frameFromJson(m: Json): Frame {
  const head = { stream: m.stream as number, seq: m.seq as number, tUs: Number(m.tUs as string) };
  switch (m.type) {
    case 'hello':
      return {
        type: 'hello',
        ...head,
        fw: m.fw as [number, number, number],
        deviceUid: m.deviceUid as number,
        bootId: m.bootId as number,
        name: m.name as string,
        sensors: (m.sensors as Json[]).map((s) => ({
          stream: s.stream as number,
          kind: s.kind as 'imu' | 'audio' | 'depth',
          paramA: s.paramA as number,
          paramB: s.paramB as number,
          batch: s.batch as number,
          rateMhz: s.rateMhz as number,
          scaleA: Math.fround(s.scaleA as number),
          scaleB: Math.fround(s.scaleB as number),
        })),
      };
    case 'helloRequest':
      return { type: 'helloRequest', ...head };
    case 'heartbeat':
      return { type: 'heartbeat', ...head, txDroppedFrames: m.txDroppedFrames as number, txHighWater: m.txHighWater as number, status: m.status as number };
    case 'syncRequest':
      return { type: 'syncRequest', ...head, id: m.id as number, hostT1: BigInt(m.hostT1 as string) };
    case 'syncReply':
      return {
        type: 'syncReply',
        ...head,
        id: m.id as number,
        hostT1: BigInt(m.hostT1 as string),
        devRxUs: Number(m.devRxUs as string),
        devTxUs: Number(m.devTxUs as string),
      };
    case 'error':
      return { type: 'error', ...head, code: m.code as number, errorStream: m.errorStream as number, text: m.text as string };
    case 'imu': {
      const samples = m.samples as { dtUs: number; acc: number[]; gyro: number[] }[];
      return {
        type: 'imu',
        ...head,
        dtUs: Uint16Array.from(samples.map((s) => s.dtUs)),
        raw: Int16Array.from(samples.flatMap((s) => [...s.acc, ...s.gyro])),
      };
    }
    case 'audio':
      return { type: 'audio', ...head, firstIndex: m.firstIndex as number, pcm: Int16Array.from(m.pcm as number[]) };
    case 'depth':
      return { type: 'depth', ...head, width: m.width as number, height: m.height as number, mm: Uint16Array.from(m.mm as number[]) };
    default:
      throw new Error(`vector: unknown frame type ${String(m.type)}`);
  }
}

export function loadVectors(): { protocol: number; vectors: Vector[] } {
  const doc = JSON.parse(readFileSync(VECTORS_PATH, 'utf8')) as { protocol: number; vectors: Json[] };
  return {
    protocol: doc.protocol,
    vectors: doc.vectors.map((v) => ({
      name: v.name as string,
      bytes: hexToBytes(v.hex as string),
      ...(v.frame ? { frame: frameFromJson(v.frame as Json), meaning: v.frame as Json } : {}),
      ...(v.error ? { error: v.error as BadFrameReason } : {}),
    })),
  };
}
