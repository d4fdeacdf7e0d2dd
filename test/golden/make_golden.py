#!/usr/bin/python3
"""Golden tensors for test/preprocess/*.test.ts, produced by ImageBind's reference preprocessing stack.

How it was run (Debian 12, packages python3-torch 1.13, python3-torchaudio 0.13, python3-torchvision 0.14,
python3-pil 9.4, python3-numpy, python3-regex; no network):

    cd <repo root> && /usr/bin/python3 test/golden/make_golden.py

It reads real recordings from ../shared/data and writes test/golden/data/ (index.json + small .bin files) and
test/golden/images/ (edge-case images cut from the BSD-3 rtabmap frame). Tests and CI never run Python: the
outputs are committed. Re-run only when the reference or the cases change.

What is the reference, per modality:
- vision: imagebind/data.py load_and_transform_vision_data: PIL open + convert("RGB"), torchvision
  Resize(224, BICUBIC), CenterCrop(224), ToTensor, Normalize(CLIP mean/std).
- audio: imagebind/data.py load_and_transform_audio_data + waveform2melspec: torchaudio.load,
  torchaudio.functional.resample, pytorchvideo ConstantClipsPerVideoSampler(2, 3) (its Fraction arithmetic is
  reproduced below since pytorchvideo is not packaged), in-place clip mean subtraction, kaldi.fbank, pad/crop,
  Normalize(-4.268, 9.138).
- text: OpenAI CLIP simple_tokenizer as vendored by ImageBind (HEAD layout: EOT always kept), with the
  deterministic subset of ftfy.fix_text that src/preprocess/text-clean.ts implements (ftfy is not packaged
  for Debian 12; see docs/preprocess.md).
- depth/thermal/imu: ImageBind has no loader; the recipe of docs/preprocess.md (Omnivore's disparity, PIL 'F'
  resize) in numpy/PIL/torchvision with the manifest's default parameters.
"""
import gzip
import hashlib
import html
import json
import math
import os
import sys
import unicodedata
from fractions import Fraction
from functools import lru_cache

import numpy as np
import regex as re
import torch
import torchaudio
from PIL import Image
from torchvision import transforms

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
SHARED = os.path.abspath(os.path.join(ROOT, '..', 'shared', 'data'))
OUT = os.path.join(ROOT, 'test', 'golden', 'data')
IMAGES = os.path.join(ROOT, 'test', 'golden', 'images')

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


def write_bin(name, array):
    path = os.path.join(OUT, name)
    np.ascontiguousarray(array).tofile(path)
    return name


# ----------------------------------------------------------------------------------------------- vision
def vision_reference(img):
    """Returns (uint8 crop HxWx3, normalised float32 tensor 3x224x224) exactly as ImageBind computes them."""
    geometry = transforms.Compose([
        transforms.Resize(224, interpolation=transforms.InterpolationMode.BICUBIC),
        transforms.CenterCrop(224),
    ])
    crop = geometry(img.convert('RGB'))
    tensor = transforms.Normalize(mean=CLIP_MEAN, std=CLIP_STD)(transforms.ToTensor()(crop))
    return np.array(crop), tensor.numpy()


def make_edge_images():
    """Edge cases cut from a real frame (rtabmap 17.jpg, BSD-3; licence copied beside them)."""
    os.makedirs(IMAGES, exist_ok=True)
    src = Image.open(os.path.join(SHARED, 'depth', 'rtabmap', 'rgb', '17.jpg')).convert('RGB')
    cases = {}
    cases['odd_181x127.png'] = src.crop((101, 77, 101 + 181, 77 + 127))
    cases['portrait_96x171.png'] = src.crop((300, 200, 300 + 96, 200 + 171))
    rgba = src.crop((40, 250, 40 + 150, 250 + 113)).convert('RGBA')
    alpha = Image.linear_gradient('L').resize(rgba.size)
    rgba.putalpha(alpha)
    cases['rgba_150x113.png'] = rgba
    cases['gray_257x193.png'] = src.crop((350, 10, 350 + 257, 10 + 193)).convert('L')
    gray_alpha = src.crop((200, 300, 200 + 64, 300 + 48)).convert('LA')
    cases['gray_alpha_64x48.png'] = gray_alpha
    cases['palette_120x90.png'] = src.crop((500, 380, 620, 470)).convert('P', palette=Image.ADAPTIVE, colors=64)
    cases['tiny_23x17.png'] = src.crop((320, 240, 343, 257))
    cases['square_224.png'] = src.crop((0, 0, 224, 224))
    cases['wide_700x50.png'] = src.resize((700, 50), Image.BILINEAR)
    for name, im in cases.items():
        im.save(os.path.join(IMAGES, name), optimize=True)
    return sorted(cases)


def vision_cases():
    files = [os.path.join(SHARED, 'depth', 'rtabmap', 'rgb', f) for f in ('17.jpg', '154.jpg')]
    files.append(os.path.join(SHARED, 'depth', 'tum', 'TUM_color.png'))
    files.append(os.path.join(SHARED, 'camera_imu', 'euroc_v1_01_micro', 'mav0', 'cam0', 'data', sorted(
        os.listdir(os.path.join(SHARED, 'camera_imu', 'euroc_v1_01_micro', 'mav0', 'cam0', 'data')))[0]))
    files += [os.path.join(IMAGES, n) for n in make_edge_images()]
    out = []
    for path in files:
        img = Image.open(path)
        crop, tensor = vision_reference(img)
        name = os.path.splitext(os.path.basename(path))[0]
        # The full crop's hash says "bit-exact" in one comparison; a 1-in-4 grid of it measures errors when not.
        grid = crop[::4, ::4, :]
        out.append({
            'name': name,
            'input': os.path.relpath(path, ROOT),
            'mode': img.mode,
            'size': list(img.size),
            'cropSha256': hashlib.sha256(crop.tobytes()).hexdigest(),
            'grid': write_bin('vision_%s_grid4.u8' % name, grid),
            'gridShape': list(grid.shape),
            'tensorMean': [float(tensor[c].mean()) for c in range(3)],
            'tensorStd': [float(tensor[c].std()) for c in range(3)],
            # Exact torch values at a few positions (c, y, x) to check the normalisation end to end.
            'samples': [[c, y, x, float(tensor[c, y, x])] for c, y, x in ((0, 0, 0), (1, 111, 57), (2, 223, 223), (0, 17, 200))],
        })
    # torch's ToTensor + Normalize for every 8-bit value, per channel: the TypeScript lookup table must equal it.
    lut = np.zeros((3, 256), dtype=np.float32)
    levels = torch.arange(256, dtype=torch.uint8).view(1, 1, 256).expand(3, 1, 256)
    norm = transforms.Normalize(mean=CLIP_MEAN, std=CLIP_STD)(levels.float().div(255))
    lut[:] = norm[:, 0, :].numpy()
    return {'cases': out, 'lut': write_bin('vision_lut.f32', lut)}


# ----------------------------------------------------------------------------------------------- audio
def clip_timepoints(duration, clip_duration=2, clips_per_video=3):
    """pytorchvideo ConstantClipsPerVideoSampler, iterated as imagebind.data.get_clip_timepoints does."""
    clip_duration = Fraction(clip_duration)
    points = []
    for index in range(clips_per_video):
        max_possible_clip_start = Fraction(max(duration - clip_duration, 0))
        uniform_clip = Fraction(max_possible_clip_start, max(clips_per_video - 1, 1))
        start = uniform_clip * index
        points.append((start, start + clip_duration))
    return points


def waveform2melspec(waveform, sample_rate, num_mel_bins, target_length):
    # Based on https://github.com/YuanGongND/ast/blob/d7d8b4b8e06cdaeb6c843cdb38794c1c7692234c/src/dataloader.py#L102
    waveform -= waveform.mean()
    fbank = torchaudio.compliance.kaldi.fbank(
        waveform, htk_compat=True, sample_frequency=sample_rate, use_energy=False, window_type='hanning',
        num_mel_bins=num_mel_bins, dither=0.0, frame_length=25, frame_shift=10)
    fbank = fbank.transpose(0, 1)
    p = target_length - fbank.size(1)
    if p > 0:
        fbank = torch.nn.functional.pad(fbank, (0, p), mode='constant', value=0)
    elif p < 0:
        fbank = fbank[:, 0:target_length]
    return fbank.unsqueeze(0)


def audio_reference(waveform, sr, sample_rate=16000, clips=3):
    if sample_rate != sr:
        waveform = torchaudio.functional.resample(waveform, orig_freq=sr, new_freq=sample_rate)
    out = []
    for start, end in clip_timepoints(waveform.size(1) / sample_rate, 2, clips):
        clip = waveform[:, int(start * sample_rate):int(end * sample_rate)]
        out.append(waveform2melspec(clip, sample_rate, 128, 204))
    normalize = transforms.Normalize(mean=-4.268, std=9.138)
    return torch.stack([normalize(c) for c in out], dim=0)  # [clips, 1, 128, 204]


def audio_cases():
    a = lambda *p: os.path.join(SHARED, 'audio', *p)
    cases = [
        ('speech_60s_16k', a('speech', 'silero_test_speech.wav'), None),
        ('speech_1.3s_16k', a('speech', 'silero_test_speech.wav'), 20800),
        ('speech_4.1s_16k', a('speech', 'silero_test_speech.wav'), 65600),
        ('dishes_95s_16k', a('background', 'doing_the_dishes.wav'), None),
        ('dog_bark_5s_44k', a('esc10', 'dog_bark__1-100032-A.wav'), None),
        ('fire_7.2s_44k', a('esc10', 'fire_crackling__1-17808-B.wav'), None),
        ('rooster_0.9s_44k', a('esc10', 'rooster__1-27724-A.wav'), 39690),
        ('applause_stereo_44k', a('freesound', 'applause.wav'), None),
        ('typing_stereo_48k', a('freesound', 'typing.wav'), None),
    ]
    out = []
    for name, path, truncate in cases:
        waveform, sr = torchaudio.load(path)
        if truncate is not None:
            waveform = waveform[:, :truncate].clone()
        ref = audio_reference(waveform.clone(), sr).numpy().astype(np.float32)
        # Every 6th frame of every clip and bin, element-wise (the full tensors would be 313 KB each).
        frames = ref[:, :, :, ::6]
        out.append({
            'name': name, 'input': os.path.relpath(path, ROOT), 'rate': sr, 'channels': waveform.size(0),
            'truncate': truncate, 'shape': list(ref.shape), 'frameStride': 6,
            'frames': write_bin('audio_%s_f6.f32' % name, frames), 'framesShape': list(frames.shape),
            'mean': float(ref.mean()), 'absMax': float(np.abs(ref).max()),
        })
    # The resampler alone on a real 44.1 kHz file: the first 2 s, every 7th output sample.
    waveform, sr = torchaudio.load(a('esc10', 'dog_bark__1-100032-A.wav'))
    res = torchaudio.functional.resample(waveform[:, :88200], orig_freq=sr, new_freq=16000)[0].numpy()
    resampled = {'input': os.path.relpath(a('esc10', 'dog_bark__1-100032-A.wav'), ROOT), 'samples': 88200, 'length': int(res.shape[0]),
                 'stride': 7, 'values': write_bin('audio_resample_dog_bark_s7.f32', res[::7].astype(np.float32))}
    return {'cases': out, 'resample': resampled}


# ----------------------------------------------------------------------------------------------- text
def bytes_to_unicode():
    bs = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(range(ord('®'), ord('ÿ') + 1))
    cs = bs[:]
    n = 0
    for b in range(2 ** 8):
        if b not in bs:
            bs.append(b)
            cs.append(2 ** 8 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def get_pairs(word):
    pairs = set()
    prev = word[0]
    for char in word[1:]:
        pairs.add((prev, char))
        prev = char
    return pairs


CP1252 = bytes(range(0x80, 0xA0)).decode('cp1252', errors='replace')
LIGATURES = {ord(c): unicodedata.normalize('NFKC', c) for c in 'ĲĳŉǄǅǆǇǈǉǊǋǌǱǲǳﬀﬁﬂﬃﬄﬅﬆ'}
WIDTH = {0x3000: ' '}
for _i in range(0xFF01, 0xFFF0):
    _alt = unicodedata.normalize('NFKC', chr(_i))
    if _alt != chr(_i):
        WIDTH[_i] = _alt
CONTROL = {i: None for i in list(range(0x00, 0x09)) + [0x0B] + list(range(0x0E, 0x20)) + [0x7F] + list(range(0x206A, 0x2070)) + [0xFEFF] + list(range(0xFFF9, 0xFFFD))}


def c1_fix(m):
    c = m.group(0)
    fixed = CP1252[ord(c) - 0x80]
    return c if fixed == '\ufffd' else fixed


def fix_text_subset(text):
    """The deterministic part of ftfy.fix_text (see src/preprocess/text-clean.ts), iterated to a fixed point."""
    for _ in range(16):
        t = re.sub(r'\x1b\[((?:\d|;)*)([a-zA-Z])', '', text)
        t = re.sub(r'[\x80-\x9f]', c1_fix, t)
        t = t.translate(LIGATURES)
        t = t.translate(WIDTH)
        t = re.sub('[\u02bc\u2018-\u201b]', "'", t)
        t = re.sub('[\u201c-\u201f]', '"', t)
        t = re.sub('\r\n|[\r\u2028\u2029\x85]', '\n', t)
        t = t.translate(CONTROL)
        t = unicodedata.normalize('NFC', t)
        if t == text:
            return t
        text = t
    return text


def basic_clean(text):
    text = fix_text_subset(text)
    text = html.unescape(html.unescape(text))
    return text.strip()


def whitespace_clean(text):
    text = re.sub(r'\s+', ' ', text)
    return text.strip()


class SimpleTokenizer:
    """OpenAI CLIP / ImageBind simple_tokenizer, verbatim apart from basic_clean's ftfy subset."""

    def __init__(self, bpe_path):
        self.byte_encoder = bytes_to_unicode()
        merges = gzip.open(bpe_path).read().decode('utf-8').split('\n')
        merges = merges[1:49152 - 256 - 2 + 1]
        merges = [tuple(merge.split()) for merge in merges]
        vocab = list(bytes_to_unicode().values())
        vocab = vocab + [v + '</w>' for v in vocab]
        for merge in merges:
            vocab.append(''.join(merge))
        vocab.extend(['<|startoftext|>', '<|endoftext|>'])
        self.encoder = dict(zip(vocab, range(len(vocab))))
        self.bpe_ranks = dict(zip(merges, range(len(merges))))
        self.cache = {'<|startoftext|>': '<|startoftext|>', '<|endoftext|>': '<|endoftext|>'}
        self.pat = re.compile(r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""", re.IGNORECASE)

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = tuple(token[:-1]) + (token[-1] + '</w>',)
        pairs = get_pairs(word)
        if not pairs:
            return token + '</w>'
        while True:
            bigram = min(pairs, key=lambda pair: self.bpe_ranks.get(pair, float('inf')))
            if bigram not in self.bpe_ranks:
                break
            first, second = bigram
            new_word = []
            i = 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                    new_word.extend(word[i:j])
                    i = j
                except ValueError:
                    new_word.extend(word[i:])
                    break
                if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                    new_word.append(first + second)
                    i += 2
                else:
                    new_word.append(word[i])
                    i += 1
            word = tuple(new_word)
            if len(word) == 1:
                break
            pairs = get_pairs(word)
        word = ' '.join(word)
        self.cache[token] = word
        return word

    def encode(self, text):
        bpe_tokens = []
        text = whitespace_clean(basic_clean(text)).lower()
        for token in re.findall(self.pat, text):
            token = ''.join(self.byte_encoder[b] for b in token.encode('utf-8'))
            bpe_tokens.extend(self.encoder[bpe_token] for bpe_token in self.bpe(token).split(' '))
        return bpe_tokens

    def __call__(self, text, context_length=77):
        """ImageBind HEAD (commit 1125e1e): SOT + tokens truncated to context_length - 1, EOT always appended."""
        tokens = [self.encoder['<|startoftext|>']] + self.encode(text)
        tokens = tokens[:context_length - 1] + [self.encoder['<|endoftext|>']]
        return tokens


def text_strings():
    s = [
        'a dog', 'A photo of a dog.', 'a photo of a {}.', 'the sound of glass breaking', 'A car', 'A bird',
        'robot tipping over', 'person approaching', 'nothing happening', 'silence', 'a robot standing still',
        'Hello, World!', 'HELLO WORLD', "it's", "IT'S", "you're we've I'm they'll he'd", "don't won't can't",
        "rock'n'roll", "'quoted'", '"double quoted"', '  leading and trailing  ', 'tabs\tand\nnewlines\r\nhere',
        'multiple     spaces', '', ' ', '.', '...', '!!!???', '@#$%^&*()', 'a-b_c+d=e', 'email@example.com',
        'https://example.com/path?q=1&x=2', 'C:\\Windows\\System32', '/usr/bin/env node', '<html><body>hi</body></html>',
        '&amp;', '&lt;b&gt;bold&lt;/b&gt;', '&amp;amp;', '&amp;lt;', '&#39;single&#39;', '&#x27;hex&#x27;', '&quot;quoted&quot;',
        '&nbsp;non&nbsp;breaking', '&copy; 2024', '&notit;', '&ampx', '&#0;', '&#128;', '&#x110000;', '&#xD800;', 'AT&T', 'R&D dept',
        '123', '3.14159', '1,000,000', '2024-01-15', '12:30pm', '$100', '50%', '1st 2nd 3rd 4th', '0x1F', '1e-9',
        '٣٤٥ arabic digits', '²³ superscripts', '½ ¼ fractions', 'Ⅻ roman', '①②③',
        'café', 'naïve', 'résumé', 'Zürich', 'Ελληνικά', 'ΟΔΟΣ', 'Москва', 'русский текст', 'עברית', 'العربية',
        '中文字符', '日本語のテキスト', 'カタカナ', '한국어', 'ภาษาไทย', 'हिन्दी', 'বাংলা', 'Tiếng Việt', 'İstanbul', 'straße', 'ǅemal',
        'emoji 😀🎉', '👍🏽 thumbs', '👨‍👩‍👧 family', '🇫🇷 flag', '❤️ heart', '★☆', '→ ← ↑ ↓', '∑∫√∞', '©®™', '€£¥₹',
        '\u201ccurly quotes\u201d', '\u2018single curly\u2019', 'it\u2019s', '\u02bcmodifier', 'ﬁne ﬂow ﬀ', 'Ĳssel',
        'ＦＵＬＬＷＩＤＴＨ　ｔｅｘｔ', '１２３', '\u3000ideographic space', 'zero\u200bwidth', 'soft\u00adhyphen', 'bom\ufeffinside',
        'nbsp\u00a0space', 'em\u2003space', 'line\u2028sep', 'para\u2029sep', 'nel\x85char', 'c1\x96dash', 'c1\x80euro', 'bell\x07char',
        'esc\x1b[31mred\x1b[0m', 'del\x7fchar', 'tab\x0bvt', 'fs\x1cchar', 'e\u0301 combining', 'A\u030a ring', 'Å precomposed',
        'x' * 100, 'supercalifragilisticexpialidocious', 'pneumonoultramicroscopicsilicovolcanoconiosis',
        'the ' * 40, 'a b c d e f g h i j k l m n o p q r s t u v w x y z ' * 4,
        ' '.join(str(i) for i in range(100)), 'word ' * 80 + 'end', '😀' * 30, '中' * 90,
        '<|startoftext|>', '<|endoftext|>', 'text <|endoftext|> more', '<|STARTOFTEXT|>', 'a<|endoftext|>b',
        'camelCaseWord', 'snake_case_word', 'kebab-case-word', 'PascalCase', 'ALLCAPS', 'MiXeD cAsE',
        'dog.cat', 'dog,cat', 'dog;cat', 'dog:cat', '(parenthesis)', '[brackets]', '{braces}', 'a/b/c', 'a\\b',
        "o'clock", "rock 'n' roll", "'s", "'ll", "' s", "dog's bone", "dogs' bones", "James's", "'twas",
        'a photo of a cat.', 'a photo of a bird.', 'a blurry photo of a dog.', 'a close-up photo of a car.',
        'the sound of a dog barking', 'the sound of rain', 'the sound of a helicopter', 'a chainsaw cutting wood',
        'a baby crying', 'a clock ticking', 'a person sneezing', 'sea waves crashing', 'a rooster crowing',
        'fire crackling', 'footsteps on stairs', 'a door slamming', 'an alarm going off', 'water running from a tap',
        'A robot arm picking up a red cube.', 'Someone walks towards the robot.', 'The robot falls over!',
        'Is anyone there?', 'Warning: obstacle ahead.', 'Battery low (15%)', 'Temp: 37.5°C', 'Speed = 2.5 m/s',
        '#hashtag @mention', 'hello...world', 'hello---world', 'hello___world', 'mr. smith', 'U.S.A.', 'e.g. i.e.',
        'Ça va?', '¿Qué tal?', '¡Hola!', 'Grüße aus Köln', 'ﬅ ﬆ ligatures', 'Ǆ ǅ ǆ Ǉ', 'ŉ', 'ﬃ ﬄ',
        'a\u0000null', 'a\u200dzwj', 'a\u2060wj', '\u206atag', 'x\ufff9y', 'mixed 中文 and English', 'números 123 y letras',
        'smile :) :( ;) :D', '<3 </3', '->', '=>', '==', '!=', '&&', '||', '++', '--', '**', '//', '#!',
        'tab\t\t\tseparated', '\n\n\nnewlines\n\n', 'ends with space ', ' starts with space', '\t', '\r\n',
    ]
    return s


def text_cases():
    tok = SimpleTokenizer(os.path.join(SHARED, 'clip', 'bpe_simple_vocab_16e6.txt.gz'))
    strings = text_strings()
    assert len(strings) >= 200, len(strings)
    return {'cases': [{'text': t, 'ids': tok(t)} for t in strings]}


# ----------------------------------------------------------------------------------------------- depth / thermal / imu
def single_channel_reference(values, mean, std):
    """Pillow 'F' image -> Resize(224, bicubic) -> CenterCrop(224) -> (x - mean) / std in float32."""
    img = Image.fromarray(values.astype(np.float32), mode='F')
    crop = transforms.CenterCrop(224)(transforms.Resize(224, interpolation=transforms.InterpolationMode.BICUBIC)(img))
    t = torch.from_numpy(np.array(crop, dtype=np.float32)).unsqueeze(0)
    return transforms.Normalize(mean=[mean], std=[std])(t).numpy()


def depth_units(metres, baseline=0.075, focal=518.8579, lo=0.01, hi=50.0, clamp_max=75.0, divisor=75.0, invalid=0.0):
    m = metres.astype(np.float64)
    bad = np.isnan(m) | (m == np.inf) | (m == 0)
    m = np.clip(np.where(bad, 1.0, m), lo, hi)  # -inf (too close) clips to lo
    v = np.clip(baseline * focal / m, 0, clamp_max) / divisor
    return np.where(bad, invalid, v).astype(np.float32)


def depth_cases():
    out = []
    for name, path, per_metre in (
        ('rtabmap_17', os.path.join(SHARED, 'depth', 'rtabmap', 'depth', '17.png'), 1000.0),
        ('rtabmap_154', os.path.join(SHARED, 'depth', 'rtabmap', 'depth', '154.png'), 1000.0),
        ('tum', os.path.join(SHARED, 'depth', 'tum', 'TUM_depth.png'), 5000.0),
    ):
        raw = np.array(Image.open(path)).astype(np.float64)
        metres = (raw / per_metre).astype(np.float32)
        ref = single_channel_reference(depth_units(metres), 0.0418, 0.0295)
        grid = ref[:, ::4, ::4]
        out.append({'name': name, 'input': os.path.relpath(path, ROOT), 'unitsPerMetre': per_metre, 'grid': write_bin('depth_%s_grid4.f32' % name, grid),
                    'gridShape': list(grid.shape), 'mean': float(ref.mean()), 'invalidFraction': float((raw == 0).mean())})
    # REP-117 specials and odd geometry in a synthetic metres image (written as .f32 for the CLI path too).
    rng = np.random.default_rng(7)
    h, w = 97, 131
    metres = rng.uniform(0.3, 8.0, size=(h, w)).astype(np.float32)
    metres[10:20, 10:30] = np.nan
    metres[40:50, :] = np.inf
    metres[60:70, 100:] = -np.inf
    metres[80:90, 50:60] = 0.001
    metres[90:95, 5:25] = 90.0
    f32 = os.path.join(OUT, 'depth_specials_97x131.f32')
    metres.tofile(f32)
    ref = single_channel_reference(depth_units(metres), 0.0418, 0.0295)
    grid = ref[:, ::4, ::4]
    out.append({'name': 'specials', 'input': os.path.relpath(f32, ROOT), 'shape': [h, w], 'grid': write_bin('depth_specials_grid4.f32', grid),
                'gridShape': list(grid.shape), 'mean': float(ref.mean())})
    return {'cases': out}


def thermal_cases():
    # No real thermal recording is available: a real 8-bit grey camera frame stands in for the intensity image.
    path = os.path.join(IMAGES, 'gray_257x193.png')
    values = np.array(Image.open(path)).astype(np.float32) / 255.0
    ref = single_channel_reference(np.clip(values, 0, 1), 0.48145466, 0.26862954)
    grid = ref[:, ::4, ::4]
    return {'cases': [{'name': 'gray_257x193', 'input': os.path.relpath(path, ROOT), 'grid': write_bin('thermal_gray_grid4.f32', grid), 'gridShape': list(grid.shape)}]}


def xio_to_si(path):
    """x-io NGIMU csv (s, deg/s, g) -> t, ax..az (m/s^2), gx..gz (rad/s), as the TypeScript test converts it."""
    data = np.loadtxt(path, delimiter=',', skiprows=1)
    t = data[:, 0]
    gyro = data[:, 1:4] * (math.pi / 180.0)
    acc = data[:, 4:7] * 9.80665
    return t, np.concatenate([acc, gyro], axis=1)


def imu_cases():
    path = os.path.join(SHARED, 'imu', 'xio_walk', 'short_walk.csv')
    t, v = xio_to_si(path)
    out = []
    for name, start, order, scale in (
        ('xio_short_walk_t0', float(t[0]), [0, 1, 2, 3, 4, 5], [1.0] * 6),
        ('xio_short_walk_t10_gyro_first', 10.0, [3, 4, 5, 0, 1, 2], [1.0, 1.0, 1.0, 1 / 9.80665, 1 / 9.80665, 1 / 9.80665]),
        ('xio_short_walk_tail', float(t[-1]) - 3.0, [0, 1, 2, 3, 4, 5], [1.0] * 6),
    ):
        grid = start + np.arange(2000) * (5.0 / 2000)
        ch = np.stack([np.interp(grid, t, v[:, c]) for c in range(6)])  # edge values held outside the data
        ref = np.stack([ch[order[i]] * scale[i] for i in range(6)]).astype(np.float32)
        out.append({'name': name, 'input': os.path.relpath(path, ROOT), 'start': start, 'order': order, 'scale': scale,
                    'values': write_bin('imu_%s.f32' % name, ref[:, ::4]), 'stride': 4})
    return {'cases': out}


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    index = {
        'generator': 'test/golden/make_golden.py',
        'versions': {'python': sys.version.split()[0], 'torch': torch.__version__, 'torchaudio': torchaudio.__version__,
                     'torchvision': __import__('torchvision').__version__, 'pillow': Image.__version__, 'numpy': np.__version__},
        'vision': vision_cases(),
        'audio': audio_cases(),
        'text': text_cases(),
        'depth': depth_cases(),
        'thermal': thermal_cases(),
        'imu': imu_cases(),
    }
    with open(os.path.join(OUT, 'index.json'), 'w') as f:
        json.dump(index, f, indent=1, ensure_ascii=True)
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print('wrote', OUT, '%.0f KB' % (total / 1024))


if __name__ == '__main__':
    main()
