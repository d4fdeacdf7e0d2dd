/**
 * The sensebind serial protocol v1 as TypeScript types and constants (firmware-bridge/PROTOCOL.md is the
 * specification; firmware-bridge/firmware/include/sb_proto.h the C side). Decoded frames are a union tagged
 * by `type`, so a switch over them is checked for exhaustiveness.
 *
 * Device microseconds are `number`s: 2^53 us is 285 years of uptime. Host nanoseconds (the time-sync echo)
 * are `bigint`s, since epoch nanoseconds do not fit a double.
 */

export const PROTOCOL_VERSION = 1;
export const HEADER_SIZE = 14;
export const CRC_SIZE = 4;
export const MAX_PAYLOAD = 1024;
const MAX_RAW_FRAME = HEADER_SIZE + MAX_PAYLOAD + CRC_SIZE;
/** COBS overhead (one byte per 254, plus one) and the delimiter. */
export const MAX_ENCODED_FRAME = MAX_RAW_FRAME + Math.floor(MAX_RAW_FRAME / 254) + 2;

export const FRAME_TYPE = {
  hello: 0x01,
  helloRequest: 0x02,
  heartbeat: 0x03,
  syncRequest: 0x04,
  syncReply: 0x05,
  error: 0x06,
  imu: 0x10,
  audio: 0x11,
  depth: 0x12,
} as const;

export const SENSOR_KIND = { imu: 1, audio: 2, depth: 3 } as const;
export type SensorKindName = keyof typeof SENSOR_KIND;

export const IMU_MAX_BATCH = 64;
export const AUDIO_MAX_CHUNK = 480;
export const DEPTH_MAX_PIXELS = 511;
export const NAME_MAX = 32;
export const ERROR_TEXT_MAX = 64;
export const MAX_SENSORS = 8;
export const SENSOR_DESC_SIZE = 20;

/** Depth pixel values with a meaning (REP-117 mapping on the host: 0 -> NaN, 0xFFFF -> +Inf). */
export const DEPTH_INVALID = 0;
export const DEPTH_NO_TARGET = 0xffff;

export const DEVICE_ERROR_CODES: Record<number, string> = {
  1: 'sensor init failed',
  2: 'sensor read failed',
  3: 'sensor FIFO overflow (samples lost on the device)',
  4: 'transmit ring overflow (frames dropped on the device)',
  5: 'device received a bad host frame',
  255: 'other',
};

export interface FrameHeader {
  stream: number;
  seq: number;
  /** Device time in microseconds (0 in host frames). */
  tUs: number;
}

export interface SensorDescriptor {
  stream: number;
  kind: SensorKindName;
  /** IMU: accel range +-g | audio: channels | depth: width. */
  paramA: number;
  /** IMU: gyro range +-dps | audio: bits per sample | depth: height. */
  paramB: number;
  /** Nominal samples (IMU, audio) or frames (depth) per frame. */
  batch: number;
  /** Sample or frame rate in millihertz. */
  rateMhz: number;
  /** IMU: m/s^2 per LSB | audio: full scale per LSB | depth: metres per LSB. */
  scaleA: number;
  /** IMU: rad/s per LSB | audio: 0 | depth: maximum range in metres. */
  scaleB: number;
}

export interface HelloFrame extends FrameHeader {
  type: 'hello';
  fw: [number, number, number];
  deviceUid: number;
  /** Random per boot: a new value means the device restarted (sequence numbers and clock start over). */
  bootId: number;
  name: string;
  sensors: SensorDescriptor[];
}
export interface HelloRequestFrame extends FrameHeader {
  type: 'helloRequest';
}
export interface HeartbeatFrame extends FrameHeader {
  type: 'heartbeat';
  txDroppedFrames: number;
  txHighWater: number;
  status: number;
}
export interface SyncRequestFrame extends FrameHeader {
  type: 'syncRequest';
  id: number;
  hostT1: bigint;
}
export interface SyncReplyFrame extends FrameHeader {
  type: 'syncReply';
  id: number;
  hostT1: bigint;
  devRxUs: number;
  devTxUs: number;
}
export interface ErrorFrame extends FrameHeader {
  type: 'error';
  code: number;
  errorStream: number;
  text: string;
}
export interface ImuBatchFrame extends FrameHeader {
  type: 'imu';
  /** Per sample: microseconds since the previous sample (the first: since tUs). */
  dtUs: Uint16Array;
  /** Interleaved raw readings, 6 per sample: ax, ay, az, gx, gy, gz. */
  raw: Int16Array;
}
export interface AudioChunkFrame extends FrameHeader {
  type: 'audio';
  /** Index of the first sample since the stream started (gaps in it are lost samples). */
  firstIndex: number;
  pcm: Int16Array;
}
export interface DepthFrame extends FrameHeader {
  type: 'depth';
  width: number;
  height: number;
  mm: Uint16Array;
}

export type Frame =
  | HelloFrame
  | HelloRequestFrame
  | HeartbeatFrame
  | SyncRequestFrame
  | SyncReplyFrame
  | ErrorFrame
  | ImuBatchFrame
  | AudioChunkFrame
  | DepthFrame;

/** Why bytes between two delimiters were not a frame. */
export type BadFrameReason = 'cobs' | 'short' | 'crc' | 'version' | 'tooLong' | 'payload' | 'unknownType';
export const BAD_FRAME_REASONS: readonly BadFrameReason[] = ['cobs', 'short', 'crc', 'version', 'tooLong', 'payload', 'unknownType'];
