#!/usr/bin/env python3
"""Export ImageBind (imagebind_huge) to one ONNX graph per modality, plus sensebind's manifest.

An offline step for users who hold the checkpoint: the weights are CC BY-NC-SA 4.0 (non-commercial) and
sensebind never bundles them. Needs Python with torch, onnx and ImageBind's package
(https://github.com/facebookresearch/ImageBind). ImageBind asks for torch >= 2.0 and imports timm, einops,
iopath, ftfy and (in its data.py) pytorchvideo; the export itself also runs on torch 1.13 (Debian 12's
python3-torch) with `--compat`, which substitutes what Debian does not package (debian_compat.py). It cannot
run in CI (no checkpoint there); `export.py --help` works without ImageBind installed.

What it does, per modality:
  * wraps the model in a one-key module (`model({key: x})[key]`) so each graph has one input named after the
    modality and one output "embedding" [batch, 1024];
  * traces it with ImageBind's fixed shapes (shape branches freeze at trace time) and a dynamic batch axis:
      vision float32 [B,3,224,224]   text int64 [B,77]        audio float32 [B,3,1,128,204]
      depth  float32 [B,1,224,224]   thermal float32 [B,1,224,224]   imu float32 [B,6,2000]
    with `Tensor.unfold` given a non-negative dimension while tracing: torch 1.13's ONNX export of
    `unfold(-1, ...)` (ImageBind's IMU patching) puts the window axis last, and ONNX Runtime then refuses
    the IMU graph (MatMul: incompatible dimensions);
  * optionally converts to float16 (--fp16: on a CUDA GPU by tracing in half precision, otherwise with
    onnxconverter-common, checked before any work);
  * stores vision (2.5 GB in fp32, over protobuf's 2 GB limit) with its weights in vision.onnx.data
    (ONNX external data; --external-data puts every modality that way);
  * writes manifest.json starting from the preprocessing parameters of models/imagebind/manifest.json,
    with each file's sha256 and each modality's output scale read from the model's postprocessor
    (text: the trained logit scale, exp'd and capped at 100 as ImageBind does).
The checkpoint's state dict is released once loaded, and files are staged inside the output folder, so the
export needs the model once in memory and no space in the system temp folder.

Usage:
  python3 models/imagebind/export.py --checkpoint .checkpoints/imagebind_huge.pth
  python3 models/imagebind/export.py --checkpoint ... --out /data/imagebind-fp16 --fp16 --modalities text,audio
Then point sensebind at the folder: `model.dir: models/imagebind/export` and run `sensebind doctor --deep`.
"""
import argparse
import contextlib
import gc
import hashlib
import importlib.util
import json
import math
import os
import resource
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATE = os.path.join(HERE, 'manifest.json')
DEFAULT_OUT = os.path.join(HERE, 'export')  # git-ignored: exported weights are non-commercial and large

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
LOGIT_SCALE_CAP = 100.0


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog='See models/imagebind/README.md for sizes, memory, licence and checks.')
    p.add_argument('--checkpoint', required=True, help='imagebind_huge.pth (state dict) from the ImageBind release')
    p.add_argument('--out', default=DEFAULT_OUT, help='output folder (default: models/imagebind/export, git-ignored)')
    p.add_argument('--modalities', default=','.join(ORDER), help='comma-separated subset of ' + ','.join(ORDER))
    p.add_argument('--fp16', action='store_true', help='export float16 graphs (half the size; float16 I/O)')
    p.add_argument('--external-data', action='store_true', help='store every graph\'s weights in <name>.onnx.data (vision always is in fp32)')
    p.add_argument('--opset', type=int, default=17, help='ONNX opset (default 17)')
    p.add_argument('--template', default=TEMPLATE, help='manifest with the preprocessing parameters (default: models/imagebind/manifest.json)')
    p.add_argument('--check', action='store_true', help='compare each graph with PyTorch on a random input (needs onnxruntime for Python)')
    p.add_argument('--compat', action='store_true', help='substitute the ImageBind imports Debian does not package (timm, einops, iopath, ftfy, pytorchvideo; see debian_compat.py)')
    p.add_argument('--model-args', metavar='JSON', help='build imagebind_model.ImageBindModel(**JSON) instead of imagebind_huge() (reduced-width tests)')
    args = p.parse_args(argv)
    mods = [m.strip() for m in args.modalities.split(',') if m.strip()]
    unknown = [m for m in mods if m not in SHAPES]
    if unknown:
        p.error(f'unknown modalities {unknown}; choose from {ORDER}')
    args.modalities = mods
    if args.model_args is not None:
        try:
            args.model_args = json.loads(args.model_args)
        except ValueError as err:
            p.error(f'--model-args is not JSON: {err}')
        if not isinstance(args.model_args, dict):
            p.error('--model-args must be a JSON object of ImageBindModel keyword arguments')
    if os.path.abspath(args.out) == HERE:
        p.error(f'--out {args.out} would overwrite the manifest template there; export into another folder (default {DEFAULT_OUT})')
    return args


def require(modules, why):
    """Exits naming every missing module before any slow work starts."""
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        sys.exit(f'export.py: {why} needs {", ".join(missing)} (not importable by {sys.executable})')


def check_dependencies(args):
    """Everything the run will need, before the minutes of building, loading and tracing."""
    require(['torch', 'onnx'], 'the export')
    import torch
    if args.fp16 and not torch.cuda.is_available():
        require(['onnxconverter_common'], '--fp16 without a CUDA GPU')
    if args.check:
        require(['onnxruntime', 'numpy'], '--check')
    if not os.path.isfile(args.checkpoint):
        sys.exit(f'export.py: --checkpoint {args.checkpoint}: no such file')
    if args.compat:
        sys.path.insert(0, HERE)
        import debian_compat
        done = debian_compat.install()
        print(f'compat: substituted {", ".join(done) if done else "nothing (all installed)"}', file=sys.stderr)
    try:
        from imagebind.models import imagebind_model  # noqa: F401 (imported late: --help must work without it)
    except ImportError as err:
        sys.exit(f'export.py: cannot import ImageBind ({err}); install it (git clone https://github.com/facebookresearch/ImageBind '
                 '&& pip install ./ImageBind), or on Debian without pip put the clone on PYTHONPATH and add --compat')


def peak_rss_gib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # Linux reports KiB


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


def modality_parameters(model, modality):
    n = 0
    for group in ('modality_preprocessors', 'modality_trunks', 'modality_heads', 'modality_postprocessors'):
        part = getattr(model, group, {})
        if modality in part:
            n += sum(p.numel() for p in part[modality].parameters())
    return n


def load_model(torch, args, device):
    from imagebind.models import imagebind_model
    model = imagebind_model.ImageBindModel(**args.model_args) if args.model_args else imagebind_model.imagebind_huge(pretrained=False)
    model.eval()
    # Space for what will be written (fp32: 4 bytes a parameter), before the slow part starts.
    need = sum(modality_parameters(model, m) for m in args.modalities) * (2 if args.fp16 else 4) * 1.05
    os.makedirs(args.out, exist_ok=True)
    free = shutil.disk_usage(args.out).free
    if free < need:
        sys.exit(f'export.py: {args.out} has {free / 2**30:.1f} GiB free; the graphs of {",".join(args.modalities)} need about {need / 2**30:.1f} GiB')
    state = torch.load(args.checkpoint, map_location='cpu')
    if isinstance(state, dict) and 'model' in state and not any(k.startswith('modality_') for k in state):
        state = state['model']
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        sys.exit(f'export.py: {args.checkpoint} does not match the model: missing {missing[:5]}..., unexpected {unexpected[:5]}...')
    # load_state_dict copied every tensor into the model: the checkpoint's copy (4.8 GB for huge) goes now.
    del state
    gc.collect()
    model.to(device)
    return model


def output_scale(model, modality):
    """(scale, normalized) of a postprocessor: a bare Normalize (vision) or Normalize + LearnableLogitScaling."""
    post = model.modality_postprocessors[modality]
    for layer in post.modules():  # the module itself first: works for a bare module and for a Sequential
        if hasattr(layer, 'log_logit_scale'):
            value = math.exp(float(layer.log_logit_scale.detach().float().reshape(-1)[0]))
            cap = getattr(layer, 'max_logit_scale', LOGIT_SCALE_CAP)
            return float('%.6g' % min(value, float(cap))), False  # exp of a float32 log: 20.0000007 -> 20
    normalizes = any(type(layer).__name__ == 'Normalize' for layer in post.modules())
    return 1.0, normalizes


def make_wrapper(torch, model, modality):
    class OneKey(torch.nn.Module):
        """One input, one output: ImageBind's dict interface is not traceable as a graph signature."""

        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, x):
            return self.model({modality: x})[modality]

    return OneKey().eval()


@contextlib.contextmanager
def nonnegative_unfold_dims(torch):
    """While tracing, `t.unfold(-1, size, step)` is recorded as `t.unfold(t.ndim - 1, size, step)`.

    torch 1.13's ONNX symbolic for unfold inserts the window axis at `dimension` and concatenates there, which
    for -1 gives [B,6,8,250] instead of [B,6,250,8]; with the same dimension counted from the front it is
    right. Newer torch versions get the same graph either way.
    """
    original = torch.Tensor.unfold

    def unfold(self, dimension, size, step):
        return original(self, dimension + self.dim() if dimension < 0 else dimension, size, step)

    torch.Tensor.unfold = unfold
    try:
        yield
    finally:
        torch.Tensor.unfold = original


def convert_fp16_offline(path):
    import onnx
    from onnxconverter_common import float16
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
    import numpy as np
    import onnxruntime as ort
    x = example_input(torch, modality, 2, dtype)
    with torch.no_grad():
        ref = wrapper(x.to(device)).float().cpu().numpy()
    sess = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    feed = x.numpy() if modality == 'text' else x.float().numpy().astype(np.float16 if input_dtype == 'float16' else np.float32)
    got = sess.run(['embedding'], {modality: feed})[0].astype(np.float32)
    diff = float(np.abs(got - ref).max())
    print(f'  check: max |onnx - torch| = {diff:.3g}', file=sys.stderr)


def export_one(torch, onnx, args, model, modality, device, dtype, trace_half):
    wrapper = make_wrapper(torch, model, modality)
    x = example_input(torch, modality, 2, dtype).to(device)
    final = os.path.join(args.out, f'{modality}.onnx')
    # Staged beside the result: a 2.5 GB graph must not need room in the system temp folder.
    with tempfile.TemporaryDirectory(dir=args.out, prefix='.staging-') as tmp:
        path = os.path.join(tmp, f'{modality}.onnx')
        with torch.no_grad(), nonnegative_unfold_dims(torch):
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
    return wrapper, final, external


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    check_dependencies(args)
    import onnx
    import torch

    with open(args.template) as f:
        manifest = json.load(f)
    device = 'cuda' if args.fp16 and torch.cuda.is_available() else 'cpu'
    trace_half = args.fp16 and device == 'cuda'
    dtype = torch.float16 if trace_half else torch.float32
    t0 = time.monotonic()
    model = load_model(torch, args, device)
    scales = {m: output_scale(model, m) for m in args.modalities}
    if trace_half:
        model.half()
    print(f'loaded {args.checkpoint} in {time.monotonic() - t0:.0f} s; peak RSS so far {peak_rss_gib():.2f} GiB', file=sys.stderr)
    for modality in args.modalities:
        print(f'{modality}: exporting', file=sys.stderr)
        t1 = time.monotonic()
        wrapper, final, external = export_one(torch, onnx, args, model, modality, device, dtype, trace_half)
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
        entry['outputScale'], entry['normalized'] = scales[modality]
        size = os.path.getsize(final) + (os.path.getsize(os.path.join(args.out, external)) if external else 0)
        print(f'{modality}: {final} ({size / 2**20:.1f} MiB), scale {entry["outputScale"]:.4g}, '
              f'{time.monotonic() - t1:.0f} s, peak RSS so far {peak_rss_gib():.2f} GiB', file=sys.stderr)
        if args.check:
            check_graph(torch, wrapper, final, modality, device, dtype, input_dtype)
    if args.fp16:
        manifest['version'] = manifest.get('version', '1.0.0') + '+fp16'
    with open(os.path.join(args.out, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=2)
        f.write('\n')
    print(f'wrote {os.path.join(args.out, "manifest.json")} in {time.monotonic() - t0:.0f} s, peak RSS {peak_rss_gib():.2f} GiB; '
          f'check it with: sensebind doctor --deep (model.dir: {args.out})', file=sys.stderr)


if __name__ == '__main__':
    main()
