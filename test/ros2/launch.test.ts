/** The launch file and the example robot config fit each other and the config schema. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { configSchema } from '../../src/config/schema.js';

describe('launch/', () => {
  it('robot.example.yaml is a valid config with the four sensor topics', async () => {
    const config = configSchema.parse(parseYaml(await readFile('launch/robot.example.yaml', 'utf8')));
    expect(config.ros2.enabled).toBe(true);
    expect(config.ros2.topics.map((t) => [t.name, t.modality])).toEqual([
      ['color/image_raw', 'vision'],
      ['depth/image_raw', 'depth'],
      ['imu', 'imu'],
      ['audio', 'audio'],
    ]);
    // best effort (matches every publisher); depth left to the per-type default (src/ros2/qos-depth.ts)
    expect(config.ros2.topics.every((t) => t.qos.reliability === 'best_effort' && t.qos.depth === undefined)).toBe(true);
  });

  it('sensebind.launch.xml remaps every relative topic of the example config', async () => {
    const xml = await readFile('launch/sensebind.launch.xml', 'utf8');
    expect(xml).toMatch(/<launch>[\s\S]*<executable[\s\S]*<\/executable>\s*<\/launch>/);
    // two malloc arenas, as in the systemd unit (docs/recall.md, "Memory")
    expect(xml).toMatch(/<env name="MALLOC_ARENA_MAX" value="2"\/>\s*<\/executable>/);
    const cmd = /cmd="([^"]+)"/.exec(xml)![1]!;
    expect(cmd).toMatch(/ run --config \$\(var config\) --ros-args /);
    const remapped = [...cmd.matchAll(/-r ([^:\s]+):=/g)].map((m) => m[1]);
    const config = configSchema.parse(parseYaml(await readFile('launch/robot.example.yaml', 'utf8')));
    const relative = [...config.ros2.topics.map((t) => t.name), ...config.ros2.topics.map((t) => t.audioInfoTopic).filter(Boolean)];
    for (const name of relative) expect(remapped, name).toContain(name);
    // launch does not split a substituted cmd (shell="false"): the command must be one path that exists
    const sensebind = /<arg name="sensebind" default="([^"]+)"/.exec(xml)![1]!;
    expect(sensebind).not.toMatch(/\s/);
    expect(existsSync(sensebind.replace('$(dirname)', 'launch'))).toBe(true);
    expect(cmd).toMatch(/-p use_sim_time:=\$\(var use_sim_time\)/);
    // node with a larger initial old space (fewer full collections at camera rates; docs/ros2.md)
    expect(cmd).toMatch(/^node --initial-old-space-size=\$\(var node_old_space_mib\) \$\(var sensebind\) run /);
    expect(/<arg name="node_old_space_mib" default="(\d+)"/.exec(xml)?.[1]).toBe('256');
    // every <arg> used is declared
    const declared = new Set([...xml.matchAll(/<arg name="([^"]+)"/g)].map((m) => m[1]));
    for (const [, used] of xml.matchAll(/\$\(var ([^)]+)\)/g)) expect(declared.has(used!), used).toBe(true);
  });
});
