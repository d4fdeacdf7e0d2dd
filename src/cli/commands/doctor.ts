import { DEFAULT_CHECKS, runChecks } from '../../doctor/checks.js';
import { checkModelGraphsRun } from '../../doctor/graph-checks.js';
import { parseCommandArgs, type Command } from '../command.js';

export const command: Command = {
  name: 'doctor',
  summary: 'check this machine',
  help: [
    'usage: sensebind [--config <file>] doctor [--deep] [--json]',
    '',
    'Reports Node, ONNX Runtime and the execution providers that load, ROS 2 (rclnodejs),',
    'serial ports, and the configured model files with their hashes.',
    'Exit code 1 when a check fails (warnings do not fail).',
    '  --deep   also load every graph in ONNX Runtime and run it once on a zero input of its',
    '           manifest shape: a graph ONNX Runtime refuses fails here, not on the robot',
    '           (one graph at a time: needs the memory of the largest, 2.6 GB for ImageBind-huge',
    '           vision, and its load and run time, 7.4 s for that graph on a 2-core CPU)',
    '  --json   print the results as JSON',
  ].join('\n'),
  async run(argv, ctx) {
    const { values } = parseCommandArgs('doctor', argv, { json: { type: 'boolean' }, deep: { type: 'boolean' } });
    const config = await ctx.loadConfig();
    const results = await runChecks(config, values.deep ? [...DEFAULT_CHECKS, checkModelGraphsRun] : DEFAULT_CHECKS);
    if (values.json) ctx.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    else {
      const width = Math.max(...results.map((r) => r.name.length));
      for (const r of results) ctx.stdout.write(`${r.status.toUpperCase().padEnd(4)}  ${r.name.padEnd(width)}  ${r.detail}\n`);
      if (!values.deep) ctx.stdout.write('(graphs were checked by hash only; doctor --deep also loads and runs each once)\n');
    }
    return results.some((r) => r.status === 'fail') ? 1 : 0;
  },
};
