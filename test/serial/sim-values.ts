/** The simulator's deterministic sample values (firmware-bridge/firmware/host/simulator.c, sim values). */

function tri(n: number, period: number, amp: number): number {
  const p = n % period;
  const v = p < Math.floor(period / 2) ? p : period - p; // C integer division
  return Math.floor((v * 4 * amp) / period) - amp;
}

export function simImuRaw(n: number): [number, number, number, number, number, number] {
  return [tri(n, 500, 300), tri(n + 125, 700, 200), 2048 + tri(n, 250, 60), tri(n, 1000, 150), -tri(n, 333, 90), (n % 7) - 3];
}

export function simAudioRaw(n: number): number {
  const h = Math.imul(n, 2654435761 | 0) >>> 0;
  return tri(n, 36, 6000) + ((h >>> 24) & 0xff) - 128;
}

export function simDepthMm(frame: number, x: number, y: number): number {
  if (x + 8 * y === frame % 64) return 0;
  return 300 + ((x * 37 + y * 53 + frame * 11) % 2500);
}

export const SIM_ACCEL_SCALE = Math.fround(9.80665 / 2048);
export const SIM_GYRO_SCALE = Math.fround(((2000 / 32768) * Math.PI) / 180);
