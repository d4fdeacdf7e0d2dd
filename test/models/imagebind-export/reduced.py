#!/usr/bin/python3
"""ImageBind's own classes at reduced width, taken through models/imagebind/export.py (test/models/imagebind-export.test.ts).

  SENSEBIND_IMAGEBIND_SRC=<ImageBind clone> /usr/bin/python3 test/models/imagebind-export/reduced.py <workdir>

Builds imagebind_model.ImageBindModel from the clone (never copied into sensebind: CC BY-NC-SA) with the
widths below and random weights (seed 0), saves its state dict as a checkpoint, runs export.py on it exactly
as a user would (plus --model-args for the widths, and --compat where Debian lacks ImageBind's imports),
then writes what the TypeScript test compares ONNX Runtime against: per modality a fixed input (batch 2)
and PyTorch's output for it (<workdir>/ref/<m>.in.bin, <m>.out.bin, index.json). Also exports the IMU the
plain way (torch.onnx.export without export.py's unfold fix) into <workdir>/plain-imu.onnx, so the test
can show whether this torch has the unfold(-1) bug. <workdir>/other.pth (seed 1) and model-args.json are
for the parity.py test.
"""
import json
import math
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
EXPORT = os.path.join(ROOT, 'models', 'imagebind', 'export.py')
sys.path.insert(0, os.path.join(ROOT, 'models', 'imagebind'))

# Every trunk 2 blocks of width 64 (imagebind_huge: 1280/1024/768/384/768/512, 32/24/12/12/12/6 blocks);
# the output stays 1024-d so the manifest is ImageBind's. Shapes, tokenisers, patching, heads and
# postprocessors are the real ones.
REDUCED = {'out_embed_dim': 1024}
for m in ('vision', 'text', 'audio', 'depth', 'thermal', 'imu'):
    REDUCED.update({f'{m}_embed_dim': 64, f'{m}_num_blocks': 2, f'{m}_num_heads': 4})
TEXT_LOG_SCALE = math.log(42.5)  # not the init (1/0.07): the manifest must read it from the checkpoint


def main():
    src = os.environ.get('SENSEBIND_IMAGEBIND_SRC')
    if not src or len(sys.argv) != 2:
        sys.exit('usage: SENSEBIND_IMAGEBIND_SRC=<ImageBind clone> reduced.py <workdir>')
    work = sys.argv[1]
    sys.path.insert(0, src)
    import debian_compat
    substituted = debian_compat.install()
    import numpy as np
    import torch
    from imagebind.models import imagebind_model
    import export

    torch.manual_seed(0)
    model = imagebind_model.ImageBindModel(**REDUCED).eval()
    with torch.no_grad():
        model.modality_postprocessors['text'][1].log_logit_scale.fill_(TEXT_LOG_SCALE)
    os.makedirs(os.path.join(work, 'ref'), exist_ok=True)
    ckpt = os.path.join(work, 'reduced.pth')
    torch.save(model.state_dict(), ckpt)

    torch.manual_seed(1)  # another model of the same shape: parity.py must tell it apart
    torch.save(imagebind_model.ImageBindModel(**REDUCED).state_dict(), os.path.join(work, 'other.pth'))
    with open(os.path.join(work, 'model-args.json'), 'w') as f:
        json.dump(REDUCED, f)

    out = os.path.join(work, 'out')
    cmd = [sys.executable, EXPORT, '--checkpoint', ckpt, '--out', out, '--model-args', json.dumps(REDUCED)]
    if substituted:
        cmd.append('--compat')
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([src, os.environ.get('PYTHONPATH', '')]))
    subprocess.run(cmd, check=True, env=env)

    index = {'torch': torch.__version__, 'substituted': substituted, 'textScale': math.exp(TEXT_LOG_SCALE),
             'parameters': sum(p.numel() for p in model.parameters()), 'cases': {}}
    gen = torch.Generator().manual_seed(1)
    for m in export.ORDER:
        if m == 'text':
            x = export.example_input(torch, m, 2, torch.float32)
            x[1, 5] = 49407  # the second row's EOT sits elsewhere: the graph's ArgMax must follow it
            x[1, 6:] = 0
        else:
            x = torch.randn(2, *export.SHAPES[m], generator=gen)
        with torch.no_grad():
            y = model({m: x})[m]
        x.numpy().tofile(os.path.join(work, 'ref', f'{m}.in.bin'))
        y.numpy().astype(np.float32).tofile(os.path.join(work, 'ref', f'{m}.out.bin'))
        index['cases'][m] = {'shape': list(x.shape), 'dtype': 'int64' if m == 'text' else 'float32', 'outShape': list(y.shape)}

    wrapper = export.make_wrapper(torch, model, 'imu')
    with torch.no_grad():
        torch.onnx.export(wrapper, (torch.randn(2, 6, 2000),), os.path.join(work, 'plain-imu.onnx'), input_names=['imu'],
                          output_names=['embedding'], dynamic_axes={'imu': {0: 'batch'}, 'embedding': {0: 'batch'}}, opset_version=17)
    with open(os.path.join(work, 'ref', 'index.json'), 'w') as f:
        json.dump(index, f, indent=2)


if __name__ == '__main__':
    main()
