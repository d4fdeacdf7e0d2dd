#!/usr/bin/env python3
"""Does sensebind embed your files as ImageBind does? ImageBind's PyTorch pipeline vs sensebind, per file.

For a user who holds the checkpoint and has exported it with export.py. For every input it runs
  * ImageBind's own pipeline: `imagebind.data` loaders (vision, audio, text) and the PyTorch model, and
  * sensebind: `sensebind preprocess` (the tensor) and `sensebind embed` (the unit vector the agent uses),
and prints per case the largest difference of the preprocessed tensors, the largest difference of the unit
embeddings and 1 - cosine. ImageBind publishes no loaders for depth, thermal and IMU: there the model is
given sensebind's own tensor, so those rows compare the graphs only (preprocessing: docs/preprocess.md).

  python3 models/imagebind/parity.py --checkpoint .checkpoints/imagebind_huge.pth --model models/imagebind/export \\
      --vision photo.jpg --audio clip.wav --text "a dog barking" --depth d.png --imu walk.csv

Needs what export.py needs (ImageBind importable; `--compat` on Debian without pip) and Node with sensebind
(default: bin/sensebind.js of this checkout; `--sensebind "npx sensebind"` for an installed one). Exit code 1
when a case differs by more than --tolerance (max abs of the unit embeddings), 2 on a usage error.
"""
import argparse
import json
import math
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SENSEBIND = f'node {shlex.quote(os.path.join(HERE, "..", "..", "bin", "sensebind.js"))}'
FILE_MODALITIES = ['vision', 'audio', 'depth', 'thermal', 'imu']
REFERENCE_LOADERS = {'vision', 'audio', 'text'}  # the modalities imagebind/data.py has loaders for


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--checkpoint', required=True, help='the checkpoint export.py was given')
    p.add_argument('--model', required=True, help='the folder export.py wrote (manifest.json + graphs)')
    for m in FILE_MODALITIES:
        p.add_argument(f'--{m}', nargs='+', default=[], metavar='FILE', help=f'{m} input file(s), as `sensebind embed --input` takes them')
    p.add_argument('--text', nargs='+', default=[], metavar='TEXT', help='text(s) to embed')
    p.add_argument('--sensebind', default=DEFAULT_SENSEBIND, help='command that runs sensebind (default: node bin/sensebind.js of this checkout)')
    p.add_argument('--sensebind-args', default='', help='extra flags for preprocess/embed, e.g. "--depth-units 5000" or "--shape 480x640"')
    p.add_argument('--tolerance', type=float, default=1e-4, help='largest accepted max abs difference of unit embeddings (default 1e-4)')
    p.add_argument('--compat', action='store_true', help='substitute ImageBind imports Debian does not package (debian_compat.py)')
    p.add_argument('--model-args', metavar='JSON', help='ImageBindModel(**JSON) instead of imagebind_huge() (as given to export.py)')
    p.add_argument('--json', action='store_true', help='print the rows as JSON lines instead of a table')
    args = p.parse_args(argv)
    if not any(getattr(args, m) for m in FILE_MODALITIES) and not args.text:
        p.error('give at least one input (--vision, --audio, --text, --depth, --thermal, --imu)')
    if not os.path.isfile(os.path.join(args.model, 'manifest.json')):
        p.error(f'--model {args.model}: no manifest.json there (export.py --out writes one)')
    return args


def load_model(torch, args):
    from imagebind.models import imagebind_model
    model = imagebind_model.ImageBindModel(**json.loads(args.model_args)) if args.model_args else imagebind_model.imagebind_huge(pretrained=False)
    state = torch.load(args.checkpoint, map_location='cpu')
    if isinstance(state, dict) and 'model' in state and not any(k.startswith('modality_') for k in state):
        state = state['model']
    model.load_state_dict(state)
    del state
    return model.eval()


class Sensebind:
    def __init__(self, command, model, extra):
        self.command = shlex.split(command)
        self.model = model
        self.extra = shlex.split(extra)
        self.tmp = tempfile.mkdtemp(prefix='sensebind-parity-')
        # A fresh text cache: a text embedded before would otherwise come from the cache, not the graph.
        self.config = os.path.join(self.tmp, 'parity.yaml')
        with open(self.config, 'w') as f:
            f.write(f'model:\n  cacheDir: {json.dumps(os.path.join(self.tmp, "cache"))}\n')

    def _run(self, args):
        cmd = self.command + ['--config', self.config] + args
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            last = (r.stderr.strip().splitlines() or ['(no message)'])[-1]
            raise RuntimeError(f'sensebind {args[0]} exited {r.returncode}: {last}')
        return json.loads(r.stdout.strip().splitlines()[-1])

    def _source(self, modality, value):
        if modality == 'text':
            return ['--modality', 'text', '--text', value]
        return ['--modality', modality, '--input', value] + self.extra

    def tensor(self, np, modality, value):
        out = os.path.join(self.tmp, 'tensor.bin')
        info = self._run(['preprocess', '--model', self.model, '--out', out] + self._source(modality, value))
        return np.fromfile(out, dtype=np.int64 if info['dtype'] == 'int64' else np.float32).reshape(info['shape'])

    def embed(self, np, modality, value):
        info = self._run(['embed', '--model', self.model, '--providers', 'cpu'] + self._source(modality, value))
        return np.asarray(info['vector'], dtype=np.float64), info


def reference_tensor(torch, data, modality, value):
    if modality == 'vision':
        return data.load_and_transform_vision_data([value], 'cpu')
    if modality == 'audio':
        return data.load_and_transform_audio_data([value], 'cpu')
    return data.load_and_transform_text([value], 'cpu')


def unit(np, v):
    v = np.asarray(v, dtype=np.float64).reshape(-1)
    return v / np.linalg.norm(v)


def compare(np, torch, model, data, sb, modality, value):
    row = {'modality': modality, 'input': value}
    sb_tensor = sb.tensor(np, modality, value)
    if modality in REFERENCE_LOADERS:
        ref = reference_tensor(torch, data, modality, value)[0].numpy()
        if ref.shape != sb_tensor.shape:
            row['preprocess'] = f'shape {list(ref.shape)} vs sensebind {list(sb_tensor.shape)}'
        elif modality == 'text':
            row['preprocess'] = f'{int((ref != sb_tensor).sum())} tokens differ'
        else:
            row['preprocess'] = float(np.abs(ref.astype(np.float64) - sb_tensor).max())
    else:
        ref = sb_tensor  # ImageBind has no loader: the graph is compared on sensebind's tensor
        row['preprocess'] = 'sensebind (no ImageBind loader)'
    x = torch.from_numpy(ref).unsqueeze(0)
    t0 = time.monotonic()
    with torch.no_grad():
        raw = model({modality: x})[modality][0].double().numpy()
    row['torchMs'] = round((time.monotonic() - t0) * 1000)
    u = unit(np, raw)
    v, info = sb.embed(np, modality, value)
    row['maxAbs'] = float(np.abs(u - v).max())
    row['oneMinusCos'] = float(1 - np.dot(u, v) / np.linalg.norm(v))
    row['scale'] = [round(float(np.linalg.norm(raw)), 4), info.get('scale')]
    return row


def fmt(x):
    return f'{x:.2e}' if isinstance(x, float) else str(x)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.compat:
        sys.path.insert(0, HERE)
        import debian_compat
        print(f'compat: substituted {", ".join(debian_compat.install()) or "nothing"}', file=sys.stderr)
    try:
        import numpy as np
        import torch
        from imagebind import data
    except ImportError as err:
        sys.exit(f'parity.py: cannot import ImageBind\'s pipeline ({err}); install ImageBind (or add --compat on Debian)')
    torch.manual_seed(0)
    model = load_model(torch, args)
    sb = Sensebind(args.sensebind, args.model, args.sensebind_args)
    cases = [(m, f) for m in FILE_MODALITIES for f in getattr(args, m)] + [('text', t) for t in args.text]
    rows = []
    try:
        for modality, value in cases:
            try:
                rows.append(compare(np, torch, model, data, sb, modality, value))
            except Exception as err:  # one bad file is a row, not the end of the report
                rows.append({'modality': modality, 'input': value, 'error': str(err)})
    finally:
        shutil.rmtree(sb.tmp, ignore_errors=True)
    worst = 0.0
    if not args.json:
        print(f'{"modality":8}  {"preprocess max|d|":>24}  {"embedding max|d|":>16}  {"1 - cos":>9}  {"|raw| / manifest scale":>22}  input')
    for r in rows:
        if args.json:
            print(json.dumps(r))
        elif 'error' in r:
            print(f'{r["modality"]:8}  ERROR {r["error"]}  {r["input"]}')
        else:
            print(f'{r["modality"]:8}  {fmt(r["preprocess"]):>24}  {fmt(r["maxAbs"]):>16}  {fmt(r["oneMinusCos"]):>9}  {str(r["scale"][0]) + " / " + str(r["scale"][1]):>22}  {r["input"]}')
        worst = max(worst, r.get('maxAbs', math.inf))
    if not args.json:
        print('per modality (worst case):')
        for m in FILE_MODALITIES + ['text']:
            done = [r for r in rows if r['modality'] == m and 'maxAbs' in r]
            if done:
                print(f'  {m:8} {len(done)} case{"s" if len(done) > 1 else " "}  max abs {max(r["maxAbs"] for r in done):.2e}  '
                      f'cosine {1 - max(r["oneMinusCos"] for r in done):.15f}')
    ok = worst <= args.tolerance
    errors = sum('error' in r for r in rows)
    measured = max([r['maxAbs'] for r in rows if 'maxAbs' in r], default=float('nan'))
    print(f'{"PASS" if ok else "FAIL"}: worst max abs difference of unit embeddings {measured:.3g} (tolerance {args.tolerance:g}) '
          f'over {len(rows) - errors} cases{f"; {errors} could not be compared" if errors else ""}', file=sys.stderr)
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
