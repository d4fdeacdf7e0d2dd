#!/usr/bin/python3
"""PyTorch reference timings for `sensebind bench preprocess` (src/bench/preprocess.ts), on the same inputs.

Each modality is timed per window from already-decoded data, exactly as the TypeScript side is: the
reference pipelines of test/golden/make_golden.py (ImageBind's transforms, torchaudio, the pure-Python
CLIP tokenizer with its cache warm). Prints one JSON object {modality: {"ms": median CPU ms per window, "wallMs": ..., "n": windows}}.
Run from the repository root: /usr/bin/python3 bench/preprocess_reference.py [--data ../shared/data] [--seconds 2]
(`--serve` answers one request per stdin line instead; the TypeScript bench uses that to interleave.)
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import torch
import torchaudio
from PIL import Image
from torchvision import transforms

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'golden'))
from make_golden import CLIP_MEAN, CLIP_STD, SimpleTokenizer, depth_units, waveform2melspec, xio_to_si  # noqa: E402


def timed(fn, budget):
    """Median CPU ms (process_time) and wall ms per call, in batches long enough for the clocks."""
    fn()  # warm-up (caches, allocator, lazy imports)
    t0 = time.perf_counter()
    fn()
    batch = max(1, int(0.005 / max(time.perf_counter() - t0, 1e-7)) + 1)
    cpu, wall = [], []
    deadline = time.perf_counter() + budget
    while time.perf_counter() < deadline or len(cpu) < 5:
        c0, w0 = time.process_time(), time.perf_counter()
        for _ in range(batch):
            fn()
        wall.append((time.perf_counter() - w0) * 1000 / batch)
        cpu.append((time.process_time() - c0) * 1000 / batch)
    return {'ms': statistics.median(cpu), 'wallMs': statistics.median(wall), 'n': len(cpu) * batch}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', default='../shared/data')
    ap.add_argument('--seconds', type=float, default=2.0, help='time budget per modality')
    ap.add_argument('--serve', action='store_true', help='answer timing requests on stdin (see main)')
    a = ap.parse_args()
    d = a.data
    vision = transforms.Compose([
        transforms.Resize(224, interpolation=transforms.InterpolationMode.BICUBIC), transforms.CenterCrop(224),
        transforms.ToTensor(), transforms.Normalize(mean=CLIP_MEAN, std=CLIP_STD)])
    img = Image.open(os.path.join(d, 'depth', 'tum', 'TUM_color.png')).convert('RGB')
    img.load()

    norm = transforms.Normalize(mean=-4.268, std=9.138)
    speech, sr16 = torchaudio.load(os.path.join(d, 'audio', 'speech', 'silero_test_speech.wav'))
    speech = speech[:, :32000].contiguous()
    dog, sr44 = torchaudio.load(os.path.join(d, 'audio', 'esc10', 'dog_bark__1-100032-A.wav'))
    dog = dog[:, :88200].contiguous()

    def audio(wave, sr):
        w = wave.clone()
        if sr != 16000:
            w = torchaudio.functional.resample(w, orig_freq=sr, new_freq=16000)
        return norm(waveform2melspec(w[:, -32000:], 16000, 128, 204))

    tok = SimpleTokenizer(os.path.join(d, 'clip', 'bpe_simple_vocab_16e6.txt.gz'))
    prompts = ['a photo of a dog.', 'the sound of glass breaking', 'a robot tipping over', 'person approaching']
    state = {'i': 0}

    def text():
        state['i'] += 1
        ids = tok(prompts[state['i'] % len(prompts)])
        out = torch.zeros(77, dtype=torch.long)
        out[:len(ids)] = torch.tensor(ids)
        return out

    geometry = transforms.Compose([transforms.Resize(224, interpolation=transforms.InterpolationMode.BICUBIC), transforms.CenterCrop(224)])
    metres = (np.array(Image.open(os.path.join(d, 'depth', 'rtabmap', 'depth', '17.png'))).astype(np.float64) / 1000).astype(np.float32)

    def depth():
        crop = geometry(Image.fromarray(depth_units(metres), mode='F'))
        return transforms.Normalize(mean=[0.0418], std=[0.0295])(torch.from_numpy(np.array(crop, dtype=np.float32)).unsqueeze(0))

    cam = sorted(os.listdir(os.path.join(d, 'camera_imu', 'euroc_v1_01_micro', 'mav0', 'cam0', 'data')))[0]
    grey = np.array(Image.open(os.path.join(d, 'camera_imu', 'euroc_v1_01_micro', 'mav0', 'cam0', 'data', cam))).astype(np.float32)

    def thermal():
        v = np.clip(grey / 255.0, 0, 1).astype(np.float32)
        crop = geometry(Image.fromarray(v, mode='F'))
        return transforms.Normalize(mean=[0.48145466], std=[0.26862954])(torch.from_numpy(np.array(crop, dtype=np.float32)).unsqueeze(0))

    t, v = xio_to_si(os.path.join(d, 'imu', 'xio_walk', 'short_walk.csv'))
    start = float(t[0]) + 5.0
    sel = (t >= start - 0.1) & (t <= start + 5.1)
    t_w, v_w = t[sel], v[sel]

    def imu():
        grid = start + np.arange(2000) * (5.0 / 2000)
        ch = np.stack([np.interp(grid, t_w, v_w[:, c]) for c in range(6)])
        return torch.from_numpy(ch.astype(np.float32))

    fns = {
        'vision': lambda: vision(img),
        'audio16k': lambda: audio(speech, sr16),
        'audio44k': lambda: audio(dog, sr44),
        'text': text,
        'depth': depth,
        'thermal': thermal,
        'imu': imu,
    }
    if a.serve:
        # One line per request, "<modality> <seconds>", one JSON line back: the caller interleaves these
        # with its own timings so that both sides see the same machine load.
        print(json.dumps({'ready': True, 'torchThreads': torch.get_num_threads()}), flush=True)
        for line in sys.stdin:
            name, budget = line.split()
            print(json.dumps(timed(fns[name], float(budget))), flush=True)
        return
    result = {name: timed(fn, a.seconds) for name, fn in fns.items()}
    result['torchThreads'] = torch.get_num_threads()
    print(json.dumps(result))


if __name__ == '__main__':
    main()
