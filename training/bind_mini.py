#!/usr/bin/python3
"""bind-mini: a small ImageBind-style shared embedding space trained on sensebind's simulator.

Recipe (ImageBind's, scaled down): vision is the anchor. Stage 1 trains vision and text CLIP-style
(symmetric InfoNCE, multi-positive targets because many windows share a caption's event). Stage 2 freezes
them, as ImageBind freezes CLIP, and trains audio, depth and IMU each only against the vision embedding of
its own window (InfoNCE; soft targets from the anchors' own similarity, no labels). There are NO
audio<->text (or depth/imu<->text) pairs, so matching audio to text is emergent, as in the paper.

Inputs are exactly ImageBind's contract (vision [B,3,224,224], audio [B,S,1,128,204], depth [B,1,224,224],
imu [B,6,2000], text int64 [B,77] CLIP BPE). Each encoder starts with a fixed average pooling so the model
stays tiny and trains in minutes on two CPU cores; the exported ONNX graphs contain that pooling, and the
training loop applies the very same pooling once when it loads the exported tensors (identical maths).

Usage (from the repository root; data from `sensebind dataset export`):
  /usr/bin/python3 training/bind_mini.py train --data tmp/ds/train-a tmp/ds/train-b --val tmp/ds/val \
      --out tmp/bind-mini-ckpt.pt [--epochs-stage1 25] [--epochs-stage2 25] [--seed 0]
  /usr/bin/python3 training/bind_mini.py export --ckpt tmp/bind-mini-ckpt.pt --model models/bind-mini
Deterministic for a given data set, seed and thread count (torch.use_deterministic_algorithms).
"""
import argparse
import gzip
import hashlib
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

EMBED_DIM = 128
VOCAB_SIZE = 49408
HASH_BUCKETS = 256
POOL = {'vision': 4, 'depth': 8, 'audio': 4, 'imu': 16}
SHAPES = {'vision': (3, 224, 224), 'depth': (1, 224, 224), 'audio': (1, 1, 128, 204), 'imu': (6, 2000)}
SENSORS = ['vision', 'audio', 'depth', 'imu']


# ----------------------------------------------------------------------------------------------- model

def conv_block(cin, cout, stride, dims=2, k=3):
    conv = nn.Conv2d if dims == 2 else nn.Conv1d
    bn = nn.BatchNorm2d if dims == 2 else nn.BatchNorm1d
    return nn.Sequential(conv(cin, cout, k, stride=stride, padding=k // 2 if stride < k else 0, bias=False), bn(cout), nn.ReLU(inplace=True))


class ImageTrunk(nn.Module):
    """Small CNN on a pooled image: a patchify or strided stem, two strided 3x3 convs, avg+max global
    pooling, MLP head. Sized for a few hundred thousand multiply-adds per window."""

    def __init__(self, cin, widths, stem):
        super().__init__()
        self.norm = nn.BatchNorm2d(cin)
        w0, w1, w2 = widths
        self.body = nn.Sequential(conv_block(cin, w0, stem, k=stem if stem > 2 else 3), conv_block(w0, w1, 2), conv_block(w1, w2, 2))
        self.head = nn.Sequential(nn.Linear(w2 * 2, 256), nn.ReLU(inplace=True), nn.Dropout(0.2), nn.Linear(256, EMBED_DIM))

    def forward(self, x):
        h = self.body(self.norm(x))
        h = torch.cat([h.mean(dim=(2, 3)), h.amax(dim=(2, 3))], dim=1)
        return self.head(h)


class ImuTrunk(nn.Module):
    def __init__(self, widths=(16, 32, 32)):
        super().__init__()
        w0, w1, w2 = widths
        self.norm = nn.BatchNorm1d(6)
        self.body = nn.Sequential(conv_block(6, w0, 2, 1, 5), conv_block(w0, w1, 2, 1, 5), conv_block(w1, w2, 2, 1, 5))
        # the window's mean per channel (gravity direction, mean rates) joins the pooled features
        self.head = nn.Sequential(nn.Linear(w2 * 2 + 6, 256), nn.ReLU(inplace=True), nn.Dropout(0.2), nn.Linear(256, EMBED_DIM))

    def forward(self, x):
        x = self.norm(x)
        h = self.body(x)
        h = torch.cat([h.mean(dim=2), h.amax(dim=2), x.mean(dim=2)], dim=1)
        return self.head(h)


class TextTrunk(nn.Module):
    """Bag of token embeddings over the CLIP BPE ids. Ids seen in training get their own row; every other id
    shares one of HASH_BUCKETS rows (id mod buckets), so the table stays small."""

    def __init__(self, seen_ids):
        super().__init__()
        table = torch.zeros(VOCAB_SIZE, dtype=torch.long)
        ids = sorted(set(int(i) for i in seen_ids) - {0})
        rest = torch.arange(VOCAB_SIZE) % HASH_BUCKETS + 1 + len(ids)
        table[:] = rest
        for row, i in enumerate(ids):
            table[i] = row + 1
        table[0] = 0  # padding
        self.register_buffer('remap', table.to(torch.int32))
        self.embed = nn.Embedding(1 + len(ids) + HASH_BUCKETS, 128, padding_idx=0)
        self.head = nn.Sequential(nn.Linear(128, 256), nn.ReLU(inplace=True), nn.Linear(256, EMBED_DIM))

    def forward(self, tokens):
        rows = self.remap[tokens].long()
        mask = (tokens != 0).float().unsqueeze(-1)
        e = (self.embed(rows) * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        return self.head(e)


class BindMini(nn.Module):
    def __init__(self, seen_ids):
        super().__init__()
        self.vision = ImageTrunk(3, (16, 32, 64), stem=4)  # 56x56 -> 14 -> 7 -> 4
        self.depth = ImageTrunk(1, (16, 32, 32), stem=4)  # 28x28 -> 7 -> 4 -> 2
        self.audio = ImageTrunk(1, (16, 32, 64), stem=2)  # 32x51 -> 16x26 -> 8x13 -> 4x7
        self.imu = ImuTrunk()
        self.text = TextTrunk(seen_ids)
        # logit scales (log), one per pair with vision, ImageBind/CLIP init 1/0.07, capped at 100
        self.log_scale = nn.ParameterDict({m: nn.Parameter(torch.tensor(math.log(1 / 0.07))) for m in ['text', 'audio', 'depth', 'imu']})

    def scale(self, m):
        return self.log_scale[m].exp().clamp(max=100.0)

    # Inputs here are already pooled (see pool_inputs); the export wrappers add the pooling.
    def encode(self, m, x):
        return F.normalize(getattr(self, m)(x), dim=-1)


def pool_inputs(m, x):
    """The fixed pooling every encoder starts with (also inside the ONNX graphs)."""
    if m == 'vision' or m == 'depth':
        return F.avg_pool2d(x, POOL[m])
    if m == 'audio':
        return F.avg_pool2d(x.reshape(-1, 1, 128, 204), POOL[m])
    if m == 'imu':
        return F.avg_pool1d(x, POOL[m])
    raise ValueError(m)


# ------------------------------------------------------------------------------------------------ data

# Audio gain in the log-mel domain: the agent's fbank is log(max(E, eps)) normalised by (x - mean) / std
# (manifest normMean/normStd, ImageBind's); a waveform gain of g dB multiplies every mel energy by 10^(g/10),
# i.e. adds g * ln(10) / 10 / std, and the log floor stays where it is. Exact on the unpooled tensor.
FBANK_MEAN, FBANK_STD, FLOAT32_EPS = -4.268, 9.138, 1.1920928955078125e-7
DB_SHIFT = math.log(10) / 10 / FBANK_STD
FBANK_FLOOR = (math.log(FLOAT32_EPS) - FBANK_MEAN) / FBANK_STD


# A 2 s clip at 16 kHz has 198 frames (25 ms, 10 ms shift); frames 198-203 are padding (log-mel 0 before
# normalisation), which no gain changes.
FBANK_FRAMES = 1 + (2 * 16000 - 400) // 160


def audio_with_gain(raw, gain_db):
    """raw [B,1,128,204] normalised log-mel; gain_db [B]. Returns the log-mel the agent would compute
    (test/eval/dataset-recordings.test.ts checks this against the agent's own path on a real recording)."""
    out = raw.clone()
    shifted = raw[..., :FBANK_FRAMES] + (gain_db * DB_SHIFT).view(-1, 1, 1, 1)
    out[..., :FBANK_FRAMES] = torch.maximum(shifted, torch.tensor(FBANK_FLOOR))
    return out


def audio_mix(a, b, gain_db):
    """The log-mel of two sounds played together (b at gain_db): power spectra add, so the un-normalised
    log-mels combine by logaddexp (the cross term averages out over a frame's bins). Padding frames stay a's."""
    out = a.clone()
    la = a[..., :FBANK_FRAMES] * FBANK_STD + FBANK_MEAN
    lb = b[..., :FBANK_FRAMES] * FBANK_STD + FBANK_MEAN + (gain_db * DB_SHIFT * FBANK_STD).view(-1, 1, 1, 1)
    out[..., :FBANK_FRAMES] = (torch.logaddexp(la, lb) - FBANK_MEAN) / FBANK_STD
    return out


def load_split(folder, keep_audio_raw=False):
    meta = json.load(open(os.path.join(folder, 'meta.json')))
    rows = [json.loads(l) for l in open(os.path.join(folder, 'windows.jsonl')) if l.strip()]
    n = len(rows)
    data = {}
    for m in SENSORS:
        path = os.path.join(folder, m + '.f32')
        mm = np.memmap(path, dtype='<f4', mode='r', shape=(n,) + SHAPES[m])
        chunks = []
        for i in range(0, n, 256):
            chunks.append(pool_inputs(m, torch.from_numpy(np.array(mm[i:i + 256]))))
        data[m] = torch.cat(chunks)
        if m == 'audio' and keep_audio_raw:
            data['audio_raw'] = torch.from_numpy(np.array(mm)).reshape(n, 1, 128, 204)
        if m == 'audio':
            data[m] = data[m].reshape(n, 1, 128 // POOL['audio'], 204 // POOL['audio'])
    texts = [json.loads(l) for l in open(os.path.join(folder, 'text.jsonl')) if l.strip()]
    tokens = torch.from_numpy(np.fromfile(os.path.join(folder, 'text.i64'), dtype='<i8').reshape(len(texts), 77))
    present = torch.tensor([[m in r['present'] for m in SENSORS] for r in rows])
    return {'meta': meta, 'rows': rows, 'data': data, 'texts': texts, 'tokens': tokens, 'present': present}


def concat_splits(splits):
    out = {'rows': [], 'data': {}, 'present': torch.cat([s['present'] for s in splits])}
    for s in splits:
        out['rows'] += s['rows']
    for m in SENSORS + (['audio_raw'] if all('audio_raw' in s['data'] for s in splits) else []):
        out['data'][m] = torch.cat([s['data'][m] for s in splits])
    out['texts'] = splits[0]['texts']
    out['tokens'] = splits[0]['tokens']
    out['labels'] = splits[0]['meta']['labels']
    return out


# -------------------------------------------------------------------------------------------- training

def info_nce(a, b, scale, targets=None):
    """Symmetric InfoNCE; `targets` (B,B) rows sum to 1 for multi-positive pairs, identity otherwise."""
    logits = scale * a @ b.t()
    if targets is None:
        y = torch.arange(a.shape[0])
        return 0.5 * (F.cross_entropy(logits, y) + F.cross_entropy(logits.t(), y))
    la = -(targets * F.log_softmax(logits, dim=1)).sum(1).mean()
    lb = -(targets.t() / targets.t().sum(1, keepdim=True) * F.log_softmax(logits.t(), dim=1)).sum(1).mean()
    return 0.5 * (la + lb)


@torch.no_grad()
def prototypes(model, tokens, texts, labels):
    model.eval()
    emb = model.encode('text', tokens)
    protos = []
    for lab in labels:
        idx = [i for i, t in enumerate(texts) if t['label'] == lab]
        protos.append(F.normalize(emb[idx].mean(0), dim=0))
    return torch.stack(protos)


@torch.no_grad()
def evaluate(model, split, labels, clean_only=True):
    model.eval()
    protos = prototypes(model, split['tokens'], split['texts'], labels)
    y = torch.tensor([labels.index(r['label']) for r in split['rows']])
    keep = torch.tensor([r['clean'] or not clean_only for r in split['rows']])
    scale = float(model.scale('text'))
    logp = torch.zeros(len(y), len(labels))
    res = {}
    for m in SENSORS:
        e = torch.cat([model.encode(m, split['data'][m][i:i + 256]) for i in range(0, len(y), 256)])
        logits = scale * e @ protos.t()
        res[m] = float(((logits.argmax(1) == y) & keep).sum() / keep.sum())
        logp += F.log_softmax(logits, dim=1)
    res['fused'] = float(((logp.argmax(1) == y) & keep).sum() / keep.sum())
    return res


def jitter_colors(x, gen):
    """Per-window, per-channel gain and offset in normalised units: lighting and paint vary between rooms."""
    b, c = x.shape[:2]
    gain = 1 + (torch.rand(b, c, 1, 1, generator=gen) - 0.5) * 0.5
    offset = (torch.rand(b, c, 1, 1, generator=gen) - 0.5) * 0.8
    return x * gain + offset


def shift(x, gen, max_px=4):
    """Random translation by whole pixels (wrapping), one shift per batch: camera mounts and poses vary."""
    dx, dy = (torch.randint(-max_px, max_px + 1, (2,), generator=gen)).tolist()
    return torch.roll(x, shifts=(dy, dx), dims=(-2, -1))


def mirror(x, gen):
    flip = torch.rand(x.shape[0], generator=gen) < 0.5
    return torch.where(flip.view(-1, *([1] * (x.dim() - 1))), x.flip(-1), x)


def run_epochs(name, epochs, steps, opt, step_fn, after_epoch):
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=opt.param_groups[0]['lr'], total_steps=epochs * steps, pct_start=0.15)
    t0 = time.time()
    for epoch in range(epochs):
        losses = []
        for b in range(steps):
            loss = step_fn(epoch, b)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            losses.append(float(loss))
        print(f'{name} epoch {epoch + 1}/{epochs} loss {np.mean(losses):.3f} {after_epoch(epoch)} ({time.time() - t0:.0f}s)', flush=True)


def train(args):
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.use_deterministic_algorithms(True)
    t0 = time.time()
    splits = [load_split(d, keep_audio_raw=args.audio_gain_db > 0) for d in args.data]
    for d, s in zip(args.data, splits):
        if d in args.drop_kind_in:
            # data exported before a kind's look changed in the simulator: keep everything but that kind
            for r in s['rows']:
                if any(k in args.drop_kinds for k in [r['label']] + r['active']):
                    r['clean'] = False
    train_set = concat_splits(splits)
    val_set = concat_splits([load_split(d) for d in args.val]) if args.val else None
    labels = train_set['labels']
    # Real event-free recordings (`sensebind dataset export-recordings`): "no event" windows, one modality each
    mixing = args.mix_real > 0 or args.sim_background > 0
    real_set = concat_splits([load_split(d, keep_audio_raw=mixing) for d in args.real]) if args.real else None
    idle = labels.index('idle')
    real_idx = {}
    if real_set is not None:
        for k, m in enumerate(SENSORS):
            real_idx[m] = real_set['present'][:, k].nonzero().flatten()
        print('real "no event" windows per modality: ' + json.dumps({m: len(v) for m, v in real_idx.items()}), flush=True)
    print(f'loaded {len(train_set["rows"])} training windows in {time.time() - t0:.0f}s', flush=True)
    clean = torch.tensor([i for i, r in enumerate(train_set['rows']) if r['clean']])
    y_all = torch.tensor([labels.index(r['label']) for r in train_set['rows']])
    text_label = torch.tensor([labels.index(t['label']) for t in train_set['texts']])
    by_label = {k: (text_label == k).nonzero().flatten() for k in range(len(labels))}
    model = BindMini(train_set['tokens'].flatten().tolist())
    print(f'parameters: {sum(p.numel() for p in model.parameters()):,}', flush=True)
    gen = torch.Generator().manual_seed(args.seed)
    steps = max(1, len(clean) // args.batch)
    perm = {}

    def batch_indices(epoch, b):
        if b == 0:
            perm['p'] = clean[torch.randperm(len(clean), generator=gen)]
        return perm['p'][b * args.batch:(b + 1) * args.batch]

    def real_sample(m, n):
        pool = real_idx.get(m)
        if pool is None or len(pool) == 0 or n == 0:
            return None
        return pool[torch.randint(len(pool), (n,), generator=gen)]

    @torch.no_grad()
    def real_idle_share():
        """Share of the real (training-side) windows each modality reads as idle: a fit monitor, not a held-out figure."""
        if real_set is None:
            return {}
        model.eval()
        protos = prototypes(model, train_set['tokens'], train_set['texts'], labels)
        out = {}
        for m in SENSORS:
            idx = real_idx[m]
            if len(idx) == 0:
                continue
            e = torch.cat([model.encode(m, real_set['data'][m][idx[i:i + 256]]) for i in range(0, len(idx), 256)])
            out['real_idle_' + m] = float(((e @ protos.t()).argmax(1) == idle).float().mean())
        model.train()
        return out

    def val_report(which):
        def report(epoch):
            if val_set is None or not ((epoch + 1) % args.eval_every == 0 or epoch + 1 == args.epochs_stage1 + args.epochs_stage2):
                return ''
            r = evaluate(model, val_set, labels)
            r.update(real_idle_share())
            model.train()
            return 'val ' + json.dumps({k: round(v, 3) for k, v in r.items() if k in which or k.startswith('real_idle_')})
        return report

    # Stage 1: the anchor. Vision and text, CLIP-style (ImageBind starts from a trained CLIP and freezes it;
    # bind-mini has no CLIP to start from, so it trains its own on the simulator's captioned frames).
    vt_params = list(model.vision.parameters()) + list(model.text.parameters()) + [model.log_scale['text']]
    opt1 = torch.optim.AdamW(vt_params, lr=args.lr, weight_decay=1e-4)

    def stage1_step(epoch, b):
        model.train()
        idx = batch_indices(epoch, b)
        y = y_all[idx]
        x = train_set['data']['vision'][idx]
        real = real_sample('vision', args.real_batch_vision)
        if real is not None:
            # real camera frames are "nothing happening": they share the idle captions
            x = torch.cat([x, real_set['data']['vision'][real]])
            y = torch.cat([y, torch.full((len(real),), idle, dtype=y.dtype)])
        x = shift(mirror(jitter_colors(x, gen), gen), gen)
        pick = torch.stack([by_label[int(k)][torch.randint(len(by_label[int(k)]), (1,), generator=gen)][0] for k in y])
        v = model.encode('vision', x)
        t = model.encode('text', train_set['tokens'][pick])
        same = (y[:, None] == y[None, :]).float()
        return info_nce(v, t, model.scale('text'), same / same.sum(1, keepdim=True))

    if args.stage1_from:
        # reuse a finished stage 1 (its checkpoint holds the whole model; only vision/text/text scale are kept)
        state = torch.load(args.stage1_from)['state']
        model.load_state_dict({k: v for k, v in state.items() if k.startswith(('vision.', 'text.', 'log_scale.text'))}, strict=False)
    else:
        run_epochs('stage1 vision<->text', args.epochs_stage1, steps, opt1, stage1_step, val_report(['vision']))
    torch.save({'state': model.state_dict(), 'seen_ids': train_set['tokens'].flatten().tolist(), 'labels': labels, 'args': vars(args)}, args.out + '.stage1')

    # Stage 2: vision (and text) frozen, as in ImageBind; each sensor learns to land on the vision embedding
    # of its own window (instance-level InfoNCE, no labels, no text).
    for p in vt_params:
        p.requires_grad_(False)
    model.eval()
    with torch.no_grad():
        anchors = torch.cat([model.encode('vision', train_set['data']['vision'][i:i + 256]) for i in range(0, len(y_all), 256)])
    sensor_params = [p for m in ['audio', 'depth', 'imu'] for p in getattr(model, m).parameters()] + [model.log_scale[m] for m in ['audio', 'depth', 'imu']]
    opt2 = torch.optim.AdamW(sensor_params, lr=args.lr, weight_decay=1e-4)

    def stage2_step(epoch, b):
        model.train()
        model.vision.eval()
        model.text.eval()
        idx = batch_indices(epoch, b)
        v = anchors[idx]
        if args.audio_gain_db > 0 or args.sim_background > 0:
            raw = train_set['data']['audio_raw'][idx]
            if args.audio_gain_db > 0:
                # the same scene heard through a quieter or louder microphone (half the windows, up to +6 dB:
                # louder than that the simulator's events would clip, which the tensor shift cannot model)
                g = (torch.rand(len(idx), generator=gen) * (args.audio_gain_db + 6) - args.audio_gain_db)
                g = torch.where(torch.rand(len(idx), generator=gen) < 0.5, g, torch.zeros_like(g))
                raw = audio_with_gain(raw, g)
            if args.sim_background > 0:
                # a real (training-side) background under the scene, 10-30 dB below its own level: an event
                # over a dishwasher is still the event, a quiet room with a tap running is still quiet
                bg = real_sample('audio', len(idx))
                if bg is not None:
                    mixed = audio_mix(raw, real_set['data']['audio_raw'][bg], -10 - 20 * torch.rand(len(idx), generator=gen))
                    pick = (torch.rand(len(idx), generator=gen) < args.sim_background).view(-1, 1, 1, 1)
                    raw = torch.where(pick, mixed, raw)
            audio = pool_inputs('audio', raw).reshape(len(idx), 1, 32, 51)
        else:
            audio = train_set['data']['audio'][idx]
        x = {'audio': audio, 'depth': mirror(train_set['data']['depth'][idx], gen), 'imu': train_set['data']['imu'][idx]}
        # Many windows look alike (an empty room is an empty room): a sensor window may match every window
        # whose vision anchor is near-identical to its own, so the targets are the anchors' own similarity
        # distribution (sharp, temperature 0.05) rather than the identity. Still no labels involved.
        soft = F.softmax(v @ v.t() / args.anchor_temperature, dim=1)
        # Real "no event" windows have no vision of their own: their target is where the idle windows of
        # this batch point (the mean of their soft rows), so real distractors land on "nothing happening".
        is_idle = y_all[idx] == idle
        idle_target = soft[is_idle].mean(0, keepdim=True) if bool(is_idle.any()) else None
        loss = 0.0
        for m in ['audio', 'depth', 'imu']:
            real = real_sample(m, args.real_batch) if idle_target is not None else None
            if real is None:
                loss = loss + info_nce(model.encode(m, x[m]), v, model.scale(m), soft)
                continue
            xr = real_set['data'][m][real]
            if m == 'audio' and args.mix_real > 0:
                # two real distractors at once (the second 0-20 dB quieter) are still no event
                other = real_sample('audio', len(real))
                mixed = audio_mix(real_set['data']['audio_raw'][real], real_set['data']['audio_raw'][other], -20 * torch.rand(len(real), generator=gen))
                pick = (torch.rand(len(real), generator=gen) < args.mix_real).view(-1, 1, 1, 1)
                xr = torch.where(pick, pool_inputs('audio', mixed).reshape(len(real), 1, 32, 51), xr)
            e = model.encode(m, torch.cat([x[m], xr]))
            loss = loss + info_nce(e[:len(idx)], v, model.scale(m), soft)
            logits = model.scale(m) * e[len(idx):] @ v.t()
            loss = loss + args.real_weight * -(idle_target * F.log_softmax(logits, dim=1)).sum(1).mean()
        return loss

    run_epochs('stage2 sensors->vision', args.epochs_stage2, steps, opt2, stage2_step, val_report(['vision', 'audio', 'depth', 'imu', 'fused']))
    torch.save({'state': model.state_dict(), 'seen_ids': train_set['tokens'].flatten().tolist(), 'labels': labels, 'args': vars(args)}, args.out)
    print('saved', args.out, f'({time.time() - t0:.0f}s)')


# ---------------------------------------------------------------------------------------------- export

class VisionGraph(nn.Module):
    def __init__(self, model, m):
        super().__init__()
        self.m = m
        self.model = model

    def forward(self, x):
        return self.model.encode(self.m, pool_inputs(self.m, x))


class AudioGraph(nn.Module):
    """[B,S,1,128,204] -> per-clip unit vectors, averaged over S, re-normalised (ImageBind's S handling)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        b = x.shape[0]
        e = self.model.encode('audio', pool_inputs('audio', x))
        return F.normalize(e.reshape(b, -1, EMBED_DIM).mean(dim=1), dim=-1)


class TextGraph(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, tokens):
        return self.model.encode('text', tokens)


def sha256(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        h.update(f.read())
    return h.hexdigest()


def export(args):
    ckpt = torch.load(args.ckpt)
    model = BindMini(ckpt['seen_ids'])
    model.load_state_dict(ckpt['state'])
    model.eval()
    manifest_path = os.path.join(args.model, 'manifest.json')
    manifest = json.load(open(manifest_path))
    graphs = {
        'vision': (VisionGraph(model, 'vision'), torch.zeros(1, 3, 224, 224), {0: 'batch'}),
        'depth': (VisionGraph(model, 'depth'), torch.zeros(1, 1, 224, 224), {0: 'batch'}),
        'imu': (VisionGraph(model, 'imu'), torch.zeros(1, 6, 2000), {0: 'batch'}),
        'audio': (AudioGraph(model), torch.zeros(1, 1, 1, 128, 204), {0: 'batch', 1: 'clips'}),
        'text': (TextGraph(model), torch.zeros(1, 77, dtype=torch.long), {0: 'batch'}),
    }
    for m, (graph, example, axes) in graphs.items():
        file = f'{m}.onnx'
        path = os.path.join(args.model, file)
        torch.onnx.export(graph, (example,), path, input_names=[m], output_names=['embedding'],
                          dynamic_axes={m: axes, 'embedding': {0: 'batch'}}, opset_version=13, do_constant_folding=True)
        entry = manifest['modalities'][m]
        entry['file'] = file
        entry['sha256'] = sha256(path)
        entry['normalized'] = True
        entry['outputScale'] = 1.0 if m == 'vision' else round(float(model.scale(m)), 4)
        print(m, os.path.getsize(path), 'bytes')
    manifest['version'] = args.version
    with open(manifest_path, 'w') as f:
        json.dump(manifest, f, indent=2)
        f.write('\n')
    print('wrote', manifest_path)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest='cmd', required=True)
    t = sub.add_parser('train')
    t.add_argument('--data', nargs='+', required=True)
    t.add_argument('--val', nargs='*', default=[])
    t.add_argument('--out', required=True)
    t.add_argument('--epochs-stage1', type=int, default=30)
    t.add_argument('--epochs-stage2', type=int, default=30)
    t.add_argument('--anchor-temperature', type=float, default=0.05)
    t.add_argument('--drop-kind-in', nargs='*', default=[], help='data folders whose windows of --drop-kinds are left out')
    t.add_argument('--drop-kinds', nargs='*', default=[])
    t.add_argument('--stage1-from', default='', help='checkpoint of a finished stage 1 to start stage 2 from')
    t.add_argument('--real', nargs='*', default=[], help='"no event" windows from real recordings (dataset export-recordings)')
    t.add_argument('--real-batch', type=int, default=32, help='real windows per modality per stage-2 step')
    t.add_argument('--real-batch-vision', type=int, default=8, help='real frames per stage-1 step')
    t.add_argument('--real-weight', type=float, default=1.0)
    t.add_argument('--audio-gain-db', type=float, default=0, help='stage 2: simulator audio at -this..+6 dB on half the windows (0 = off)')
    t.add_argument('--mix-real', type=float, default=0, help='stage 2: share of real audio windows mixed with a second real one')
    t.add_argument('--sim-background', type=float, default=0, help='stage 2: share of simulator audio windows with a real background mixed under')
    t.add_argument('--batch', type=int, default=128)
    t.add_argument('--lr', type=float, default=3e-3)
    t.add_argument('--seed', type=int, default=0)
    t.add_argument('--threads', type=int, default=1)  # OpenMP threads spin badly on a shared 2-core machine
    t.add_argument('--eval-every', type=int, default=5)
    e = sub.add_parser('export')
    e.add_argument('--ckpt', required=True)
    e.add_argument('--model', default='models/bind-mini')
    e.add_argument('--version', default='1.0.0')
    args = p.parse_args()
    train(args) if args.cmd == 'train' else export(args)


if __name__ == '__main__':
    main()
