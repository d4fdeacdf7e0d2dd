/**
 * The `live` section: the optional Foxglove WebSocket server that shows scores, evidence and events as
 * they happen (docs/live.md). Off by default; on loopback unless a host is given, because it serves camera
 * frames to whoever connects.
 */
import { z } from 'zod';

export const liveSchema = z
  .strictObject({
    /** TCP port of the Foxglove WebSocket server; 0 = off. */
    port: z.number().int().min(0).max(65535).default(0),
    /** Address the server binds to; keep loopback unless a viewer on another host must reach it. */
    host: z.string().min(1).default('127.0.0.1'),
    /** Viewers connected at once; one more is refused (counted). */
    maxViewers: z.number().int().positive().default(8),
  })
  .prefault({});

export type LiveConfig = z.infer<typeof liveSchema>;
