/**
 * GPU providers are asked of ONNX Runtime only where a GPU device exists (asking costs seconds and prints
 * Vulkan warnings on a CPU-only machine). The device probe is injected, so both branches run on every
 * machine: the same assertions hold on this CPU-only build machine and on a robot with a GPU.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { probeProvider, setDeviceProbe, type DeviceProbe } from '../../src/embed/providers.js';

let restore: DeviceProbe | undefined;
afterEach(() => {
  if (restore) setDeviceProbe(restore);
  restore = undefined;
});

describe('provider probes', () => {
  it('without a GPU device node, a GPU provider is refused at once, naming the devices looked for', async () => {
    restore = setDeviceProbe(() => false);
    for (const provider of ['cuda', 'tensorrt', 'webgpu'] as const) {
      const probe = await probeProvider(provider);
      expect(probe).toMatchObject({ provider, ok: false, ms: 0 });
      expect(probe.reason).toMatch(/^no GPU device on this machine \(none of \/dev\//);
    }
    expect((await probeProvider('cpu')).ok).toBe(true);
  });

  it('with a device node, ONNX Runtime itself decides (loads on a GPU machine, says why not elsewhere)', async () => {
    restore = setDeviceProbe(() => true);
    const probe = await probeProvider('cuda');
    if (!probe.ok) {
      expect(probe.reason).not.toMatch(/no GPU device/);
      expect(probe.reason?.length).toBeGreaterThan(0);
    }
  }, 60_000);
});
