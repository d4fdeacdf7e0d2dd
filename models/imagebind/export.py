#!/usr/bin/env python3
"""Export ImageBind (imagebind_huge) to one ONNX graph per modality, plus sensebind's manifest.

An offline step for users who hold the checkpoint: the weights are CC BY-NC-SA 4.0 (non-commercial) and
sensebind never bundles them. Needs Python with torch (>= 1.13), onnx, and the ImageBind package
(https://github.com/facebookresearch/ImageBind, `pip install .` in a clone). It cannot run in CI (no
checkpoint there); `export.py --help` works without ImageBind installed.

What it does, per modality:
  * wraps the model in a one-key module (`model({key: x})[key]`) so each graph has one input named after the
    modality and one output "embedding" [batch, 1024];
  * traces it with ImageBind's fixed shapes (shape branches freeze at trace time) and a dynamic batch axis:
      vision float32 [B,3,224,224]   text int64 [B,77]        audio float32 [B,3,1,128,204]
      depth  float32 [B,1,224,224]   thermal float32 [B,1,224,224]   imu float32 [B,6,2000]
  * optionally converts to float16 (--fp16: on a CUDA GPU by tracing in half precision, otherwise with
    onnxconverter-common if installed); inputs and outputs become float16 and sensebind converts;
  * stores vision (2.5 GB in fp32, over protobuf's 2 GB limit) with its weights in vision.onnx.data
    (ONNX external data; --external-data puts every modality that way);
  * writes manifest.json starting from the preprocessing parameters of models/imagebind/manifest.json,
    with each file's sha256 and each modality's output scale read from the model (text: the trained
    logit scale, modality_postprocessors.text.1.log_logit_scale, exp'd and capped at 100 as ImageBind does).

Usage:
  python3 models/imagebind/export.py --checkpoint .checkpoints/imagebind_huge.pth --out models/imagebind
  python3 models/imagebind/export.py --checkpoint ... --out /data/imagebind-fp16 --fp16 --modalities text,audio
Then point sensebind at the folder: `model.dir: models/imagebind` (or `--model models/imagebind`).
"""
import argparse
import hashlib
import json
import math
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATE = os.path.join(HERE, 'manifest.json')

# ImageBind's fixed per-modality input shapes without the batch axis (../shared/reference/imagebind.md).
SHAPES = {
    'vision': [3, 224, 224],
    'text': [77],
    'audio': [3, 1, 128, 204],
    'depth': [1, 224, 224],
    'thermal': [1, 224, 224],
    'imu': [6, 2000],
}
ORDER = ['vision', 'text', 'audio', 'depth', 'thermal', 'imu']
# Modalities whose postprocessor is Normalize only: their outputs are unit length.
NORMALIZED = {'vision'}
LOGIT_SCALE_CAP = 100.0


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog='See models/imagebind/README.md for sizes, licence and checks.')
    p.add_argument('--checkpoint', required=True, help='imagebind_huge.pth (state dict) from the ImageBind release')
    p.add_argument('--out', default=HERE, help='output folder (default: this folder)')
    p.add_argument('--modalities', default=','.join(ORDER), help='comma-separated subset of ' + ','.join(ORDER))
    p.add_argument('--fp16', action='store_true', help='export float16 graphs (half the size; float16 I/O)')
    p.add_argument('--external-data', action='store_true', help='store every graph\'s weights in <name>.onnx.data (vision always is in fp32)')
    p.add_argument('--opset', type=int, default=17, help='ONNX opset (default 17)')
    p.add_argument('--template', default=TEMPLATE, help='manifest with the preprocessing parameters (default: models/imagebind/manifest.json)')
    p.add_argument('--check', action='store_true', help='compare each graph with PyTorch on a random input (needs onnxruntime)')
    args = p.parse_args(argv)
    mods = [m.strip() for m in args.modalities.split(',') if m.strip()]
    unknown = [m for m in mods if m not in SHAPES]
    if unknown:
        p.error(f'unknown modalities {unknown}; choose from {ORDER}')
    args.modalities = mods
    return args


def sha256(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return h.hexdigest()


def example_input(torch, modality, batch, dtype):
    shape = [batch] + SHAPES[modality]
    if modality == 'text':
        ids = torch.randint(1, 49406, shape, dtype=torch.int64)
        ids[:, 0] = 49406  # <|startoftext|>
        ids[:, 8] = 49407  # <|endoftext|>: the graph's ArgMax finds it
        ids[:, 9:] = 0
        return ids
    return torch.randn(*shape, dtype=dtype)


def load_model(torch, checkpoint, device, half):
    try:
        from imagebind.models import imagebind_model  # noqa: WPS433 (imported late: --help must work without it)
    except ImportError as err:
        sys.exit(f'export.py: cannot import ImageBind ({err}); install it: git clone '
                 'https://github.com/facebookresearch/ImageBind && pip install ./ImageBind')
    model = imagebind_model.imagebind_huge(pretrained=False)
    state = torch.load(checkpoint, map_location='cpu')
    if isinstance(state, dict) and 'model' in state and not any(k.startswith('modality_') for k in state):
        state = state['model']
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        sys.exit(f'export.py: {checkpoint} does not match imagebind_huge: missing {missing[:5]}..., unexpected {unexpected[:5]}...')
    model.eval().to(device)
    if half:
        model.half()
    return model, state


def output_scale(torch, model, state, modality):
    """The scale the postprocessor multiplies by: LearnableLogitScaling -> exp(log_logit_scale), capped."""
    if modality == 'text':
        key = 'modality_postprocessors.text.1.log_logit_scale'
        if key not in state:
            sys.exit(f'export.py: checkpoint has no {key}')
        return float('%.6g' % min(math.exp(float(state[key].float().reshape(-1)[0])), LOGIT_SCALE_CAP))
    post = model.modality_postprocessors[modality]
    for layer in post:
        if hasattr(layer, 'log_logit_scale'):
            value = math.exp(float(layer.log_logit_scale.float().reshape(-1)[0]))
            cap = getattr(layer, 'max_logit_scale', LOGIT_SCALE_CAP)
            return float('%.6g' % min(value, float(cap)))  # exp of a float32 log: 20.0000007 -> 20
    return 1.0


def make_wrapper(torch, model, modality):
    class OneKey(torch.nn.Module):
        """One input, one output: ImageBind's dict interface is not traceable as a graph signature."""

        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, x):
            return self.model({modality: x})[modality]

    return OneKey().eval()


def convert_fp16_offline(path):
    try:
        import onnx
        from onnxconverter_common import float16
    except ImportError:
        sys.exit('export.py: --fp16 without a CUDA GPU needs onnxconverter-common (pip install onnxconverter-common)')
    model = onnx.load(path)
    model = float16.convert_float_to_float16(model, keep_io_types=False, disable_shape_infer=True)
    onnx.save_model(model, path)


def save_external(onnx, path, name):
    model = onnx.load(path)  # pulls in any external tensors torch wrote beside it
    data = f'{name}.onnx.data'
    target = os.path.join(os.path.dirname(path), data)
    if os.path.exists(target):
        os.remove(target)
    onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True, location=data, size_threshold=1024)
    return data


def check_graph(torch, wrapper, path, modality, device, dtype, input_dtype):
    try:
        import numpy as np
        import onnxruntime as ort
    except ImportError:
        print('  --check skipped: onnxruntime (python) is not installed', file=sys.stderr)
        return
    x = example_input(torch, modality, 2, dtype)
    with torch.no_grad():
        ref = wrapper(x.to(device)).float().cpu().numpy()
    sess = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    feed = x.numpy() if modality == 'text' else x.float().numpy().astype(np.float16 if input_dtype == 'float16' else np.float32)
    got = sess.run(['embedding'], {modality: feed})[0].astype(np.float32)
    diff = float(np.abs(got - ref).max())
    print(f'  check: max |onnx - torch| = {diff:.3g}', file=sys.stderr)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    import onnx
    import torch

    with open(args.template) as f:
        manifest = json.load(f)
    device = 'cuda' if args.fp16 and torch.cuda.is_available() else 'cpu'
    trace_half = args.fp16 and device == 'cuda'
    dtype = torch.float16 if trace_half else torch.float32
    model, state = load_model(torch, args.checkpoint, device, trace_half)
    os.makedirs(args.out, exist_ok=True)
    for modality in args.modalities:
        print(f'{modality}: exporting', file=sys.stderr)
        wrapper = make_wrapper(torch, model, modality)
        x = example_input(torch, modality, 2, dtype).to(device)
        final = os.path.join(args.out, f'{modality}.onnx')
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, f'{modality}.onnx')
            with torch.no_grad():
                torch.onnx.export(wrapper, (x,), path, input_names=[modality], output_names=['embedding'],
                                  dynamic_axes={modality: {0: 'batch'}, 'embedding': {0: 'batch'}},
                                  opset_version=args.opset, do_constant_folding=True)
            if args.fp16 and not trace_half:
                convert_fp16_offline(path)
            external = None
            if args.external_data or (modality == 'vision' and not args.fp16):
                external = save_external(onnx, path, modality)
            else:
                onnx.save_model(onnx.load(path), path)  # one self-contained file
            shutil.move(path, final)
            if external:
                shutil.move(os.path.join(tmp, external), os.path.join(args.out, external))
        input_dtype = 'int64' if modality == 'text' else ('float16' if args.fp16 else 'float32')
        entry = manifest['modalities'][modality]
        entry['file'] = f'{modality}.onnx'
        entry['sha256'] = sha256(final)
        if external:
            entry['externalData'] = [{'file': external, 'sha256': sha256(os.path.join(args.out, external))}]
        else:
            entry.pop('externalData', None)
        entry['input'] = {'name': modality, 'shape': [-1] + SHAPES[modality], 'dtype': input_dtype}
        entry['output'] = {'name': 'embedding'}
        entry['outputScale'] = output_scale(torch, model, state, modality)
        entry['normalized'] = modality in NORMALIZED
        size = os.path.getsize(final) + (os.path.getsize(os.path.join(args.out, external)) if external else 0)
        print(f'{modality}: {final} ({size / 2**20:.0f} MiB), scale {entry["outputScale"]:.4g}', file=sys.stderr)
        if args.check:
            check_graph(torch, wrapper, final, modality, device, dtype, input_dtype)
    if args.fp16:
        manifest['version'] = manifest.get('version', '1.0.0') + '+fp16'
    with open(os.path.join(args.out, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=2)
        f.write('\n')
    print(f'wrote {os.path.join(args.out, "manifest.json")}; check it with: sensebind doctor --config <cfg with model.dir: {args.out}>', file=sys.stderr)


if __name__ == '__main__':
    main()
