#!/usr/bin/env python3
"""Self-test of export.py without the ImageBind checkpoint (which this project cannot hold or ship).

Builds a small stand-in with ImageBind's interface and module structure (dict in / dict out, 5-D inputs
averaged over clips, vision's postprocessor a bare Normalize, the others Normalize + LearnableLogitScaling
with `log_logit_scale`, the text ArgMax/EOT gather, the IMU patching with `unfold(-1, 8, 8)`), saves its
state dict, runs export.py on it into a temporary folder and checks the manifest it wrote: files and sha256,
external data for vision, input signatures, output scales (text from the checkpoint). It proves the export
plumbing, not ImageBind's numerics (test/models/imagebind-export.test.ts runs ImageBind's own classes).
Whether ONNX Runtime loads the graphs is checked by sensebind (test/models/imagebind-export.test.ts does):

  /usr/bin/python3 models/imagebind/export_selftest.py [--keep DIR]
  node bin/sensebind.js --config <yaml with model.dir: DIR> doctor --deep
"""
import argparse
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import types

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
TEXT_LOG_SCALE = 4.4  # exp -> 81.45: anything but the init, so the test sees it came from the checkpoint

STANDIN = r'''
import math
import torch
import torch.nn as nn
import torch.nn.functional as F

class Normalize(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.normalize(x, dim=self.dim, p=2)

class LearnableLogitScaling(nn.Module):
    def __init__(self, init, learnable, max_logit_scale=100):
        super().__init__()
        t = torch.ones([]) * math.log(init)
        if learnable:
            self.log_logit_scale = nn.Parameter(t)
        else:
            self.register_buffer('log_logit_scale', t)
        self.max_logit_scale = max_logit_scale

    def forward(self, x):
        return torch.clip(self.log_logit_scale.exp(), max=self.max_logit_scale) * x

IN = {'vision': 3 * 224 * 224, 'audio': 128 * 204, 'depth': 224 * 224, 'thermal': 224 * 224}

class StandIn(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunks = nn.ModuleDict({k: nn.Linear(v // 64, 1024) for k, v in IN.items()})
        self.imu_stem = nn.Linear(48, 1024, bias=False)  # 6 channels x 8 samples per token, as ImageBind's IMU stem
        self.tok = nn.Embedding(49408, 8)
        self.text_proj = nn.Linear(8, 1024)
        self.modality_postprocessors = nn.ModuleDict({
            'vision': Normalize(dim=-1),  # bare, as in ImageBind: no Sequential around it
            'text': nn.Sequential(Normalize(dim=-1), LearnableLogitScaling(1 / 0.07, True)),
            'audio': nn.Sequential(Normalize(dim=-1), LearnableLogitScaling(20.0, False)),
            'depth': nn.Sequential(Normalize(dim=-1), LearnableLogitScaling(5.0, False)),
            'thermal': nn.Sequential(Normalize(dim=-1), LearnableLogitScaling(10.0, False)),
            'imu': nn.Sequential(Normalize(dim=-1), LearnableLogitScaling(5.0, False)),
        })

    def forward(self, inputs):
        out = {}
        for k, v in inputs.items():
            reduce = v.ndim >= 5
            if reduce:
                b, s = v.shape[:2]
                v = v.reshape(b * s, *v.shape[2:])
            if k == 'text':
                x = self.tok(v)
                x = self.text_proj(x[torch.arange(x.shape[0]), v.argmax(dim=-1)])
            elif k == 'imu':
                # ImageBind's IMU patching, negative dimension included: [B,6,2000] -> [B,250,6,8] -> [B,250,48]
                t = v.unfold(-1, 8, 8).permute(0, 2, 1, 3)
                x = self.imu_stem(t.reshape(t.size(0), t.size(1), -1)).mean(dim=1)
            else:
                flat = v.reshape(v.shape[0], -1)
                x = self.trunks[k](F.avg_pool1d(flat.unsqueeze(1), 64).squeeze(1))
            x = self.modality_postprocessors[k](x)
            if reduce:
                x = x.reshape(b, s, -1).mean(dim=1)
            out[k] = x
        return out

def imagebind_huge(pretrained=False):
    return StandIn()
'''


def sha256(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    work = tempfile.mkdtemp(prefix='imagebind-export-selftest-')
    try:
        run(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # stand-in package and checkpoint; --keep folders stay


def run(work):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--keep', help='export into this folder and keep it (default: a temporary folder)')
    args = ap.parse_args()
    pkg = os.path.join(work, 'pkg', 'imagebind', 'models')
    os.makedirs(pkg)
    for d in (os.path.dirname(pkg), pkg):
        open(os.path.join(d, '__init__.py'), 'w').close()
    with open(os.path.join(pkg, 'imagebind_model.py'), 'w') as f:
        f.write(STANDIN)
    sys.path.insert(0, os.path.join(work, 'pkg'))
    from imagebind.models import imagebind_model
    torch.manual_seed(0)
    model = imagebind_model.imagebind_huge()
    with torch.no_grad():
        model.modality_postprocessors['text'][1].log_logit_scale.fill_(TEXT_LOG_SCALE)
    ckpt = os.path.join(work, 'standin.pth')
    torch.save(model.state_dict(), ckpt)
    out = args.keep or os.path.join(work, 'out')
    env = dict(os.environ, PYTHONPATH=os.path.join(work, 'pkg'))
    subprocess.run([sys.executable, os.path.join(HERE, 'export.py'), '--checkpoint', ckpt, '--out', out], check=True, env=env)

    with open(os.path.join(out, 'manifest.json')) as f:
        m = json.load(f)
    expect_scale = {'vision': 1.0, 'text': float('%.6g' % math.exp(TEXT_LOG_SCALE)), 'audio': 20.0, 'depth': 5.0, 'thermal': 10.0, 'imu': 5.0}
    problems = []
    for k, scale in expect_scale.items():
        e = m['modalities'][k]
        path = os.path.join(out, e['file'])
        if e['sha256'] != sha256(path):
            problems.append(f'{k}: sha256 in manifest does not match {path}')
        if abs(e['outputScale'] - scale) > 1e-6 * scale:
            problems.append(f'{k}: outputScale {e["outputScale"]}, expected {scale}')
        if e['input']['name'] != k or e['output']['name'] != 'embedding' or e['input']['shape'][0] != -1:
            problems.append(f'{k}: signature {e["input"]} -> {e["output"]}')
        if e['normalized'] != (k == 'vision'):
            problems.append(f'{k}: normalized {e["normalized"]}')
    ext = m['modalities']['vision'].get('externalData', [])
    if len(ext) != 1 or ext[0]['sha256'] != sha256(os.path.join(out, ext[0]['file'])):
        problems.append(f'vision: external data missing or hash wrong: {ext}')
    if m['modalities']['text']['input']['dtype'] != 'int64':
        problems.append('text: input dtype is not int64')
    if problems:
        sys.exit('export self-test FAILED:\n  ' + '\n  '.join(problems))
    print(f'export self-test passed{": " + out if args.keep else ""}')


if __name__ == '__main__':
    main()
