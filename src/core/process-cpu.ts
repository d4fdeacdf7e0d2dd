// A child process's CPU as the benches measure it (src/bench/pipeline.ts, bench/ros2.mjs): outside the bench folder, which `sensebind bench` lists.
import { readFile, readdir } from 'node:fs/promises';

/**
 * On-CPU seconds of a process so far, all its threads, from the scheduler's own accounting
 * (/proc/<pid>/task/<tid>/schedstat, nanoseconds). getrusage and /proc/<pid>/stat count whole timer ticks
 * and overcharge a process that wakes often for short work, as a paced replay or a ROS 2 node does:
 * measured here 10-12 % from /proc/<pid>/stat against 5-8 % from `perf stat -e task-clock` on comparable
 * runs. Threads that ended are not counted. Undefined without /proc.
 */
export async function processCpuSeconds(pid: number): Promise<number | undefined> {
  try {
    const tasks = await readdir(`/proc/${pid}/task`);
    let ns = 0;
    for (const tid of tasks) {
      const stat = await readFile(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').catch(() => undefined);
      if (stat !== undefined) ns += Number(stat.split(' ')[0]);
    }
    return ns / 1e9;
  } catch {
    return undefined;
  }
}
