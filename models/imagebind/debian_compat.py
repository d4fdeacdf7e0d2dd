"""Stand-ins for the Python packages ImageBind imports that Debian 12 does not package (no pip there).

`import imagebind.models.imagebind_model` pulls in timm, einops, iopath and ftfy; `imagebind.data` also pulls
in pytorchvideo. Where pip works, install them (ImageBind's requirements.txt) and never use this module.
Where only Debian's python3-torch 1.13 / torchaudio / torchvision / onnx / regex are available, `install()`
puts small substitutes in `sys.modules` for exactly the ones that are missing, and says which. They cover
only what ImageBind calls, in eval mode:

  timm.layers.trunc_normal_          -> torch.nn.init.trunc_normal_ (initialisation only; weights are loaded)
  timm.layers.DropPath               -> identity in eval; refuses to train (stochastic depth is not needed)
  einops.rearrange                   -> pure axis permutations of named single axes ("b l d -> l b d")
  iopath...g_pathmgr.open            -> the built-in open (ImageBind opens its BPE vocabulary with it)
  ftfy.fix_text                      -> identity: exact for text that needs no repair (plain prompts);
                                        mojibake or odd Unicode is where real ftfy would differ
  pytorchvideo...ConstantClipsPerVideoSampler -> the same clip arithmetic (evenly spaced start times in
                                        exact fractions over duration - clip length), as iterated by
                                        imagebind.data.get_clip_timepoints; its video transforms and
                                        EncodedVideo are absent (video is not used by sensebind)

None of them runs in the forward pass of an exported graph except the permutations, which trace to the
same Transpose einops would give. This is sensebind's own code, not a copy of those packages.
"""
import builtins
import importlib.util
import sys
import types
from fractions import Fraction


def _missing(name):
    try:
        return importlib.util.find_spec(name) is None
    except (ImportError, ValueError):
        return True


def _module(name, **attrs):
    mod = types.ModuleType(name)
    mod.__dict__.update(attrs)
    mod.__sensebind_compat__ = True
    sys.modules[name] = mod
    return mod


def _timm():
    import torch

    class DropPath(torch.nn.Module):
        """Stochastic depth is identity at inference; these models are only ever run in eval mode here."""

        def __init__(self, drop_prob=0.0, scale_by_keep=True):
            super().__init__()
            self.drop_prob = drop_prob

        def forward(self, x):
            if self.training and self.drop_prob > 0:
                raise RuntimeError('debian_compat DropPath supports eval mode only (install timm to train)')
            return x

    _module('timm')
    _module('timm.layers', DropPath=DropPath, trunc_normal_=torch.nn.init.trunc_normal_)


def _rearrange(x, pattern, **axes_lengths):
    left, arrow, right = pattern.partition('->')
    src, dst = left.split(), right.split()
    if not arrow or axes_lengths or sorted(src) != sorted(dst) or len(set(src)) != len(src) or any(not a.isidentifier() for a in src):
        raise NotImplementedError(f'debian_compat einops.rearrange handles pure permutations only, not "{pattern}" (install einops)')
    if len(src) != x.ndim:
        raise ValueError(f'rearrange "{pattern}": tensor has {x.ndim} axes, pattern names {len(src)}')
    return x.permute(*[src.index(a) for a in dst])


def _einops():
    _module('einops', rearrange=_rearrange)


def _iopath():
    class PathManager:
        def open(self, path, mode='r', **kwargs):
            return builtins.open(path, mode, **kwargs)

    _module('iopath')
    _module('iopath.common')
    _module('iopath.common.file_io', g_pathmgr=PathManager(), PathManager=PathManager)


def _ftfy():
    _module('ftfy', fix_text=lambda text, *args, **kwargs: text)


class ClipInfo(tuple):
    """(clip_start_sec, clip_end_sec, clip_index, aug_index, is_last_clip), as pytorchvideo returns it."""

    def __new__(cls, start, end, clip_index, aug_index, is_last_clip):
        return super().__new__(cls, (start, end, clip_index, aug_index, is_last_clip))


class ConstantClipsPerVideoSampler:
    """`clips_per_video` clips of `clip_duration` seconds whose starts are spread evenly over the duration."""

    def __init__(self, clip_duration, clips_per_video, augs_per_clip=1):
        self._clip_duration = Fraction(clip_duration)
        self._clips = clips_per_video
        self._augs = augs_per_clip
        self._clip = 0
        self._aug = 0

    def __call__(self, last_clip_time, video_duration, annotation):
        latest_start = Fraction(max(video_duration - self._clip_duration, 0))
        spacing = Fraction(latest_start, max(self._clips - 1, 1))
        start = spacing * self._clip
        clip, aug = self._clip, self._aug
        self._aug += 1
        if self._aug >= self._augs:
            self._aug = 0
            self._clip += 1
        last = self._clip >= self._clips or spacing * self._clip > latest_start
        if last:
            self._clip, self._aug = 0, 0
        return ClipInfo(start, start + self._clip_duration, clip, aug, last)

    def reset(self):
        self._clip, self._aug = 0, 0


def _pytorchvideo():
    _module('pytorchvideo')
    _module('pytorchvideo.transforms')
    _module('pytorchvideo.data')
    _module('pytorchvideo.data.clip_sampling', ConstantClipsPerVideoSampler=ConstantClipsPerVideoSampler, ClipInfo=ClipInfo)
    _module('pytorchvideo.data.encoded_video', EncodedVideo=EncodedVideo)


class EncodedVideo:
    """Video decoding is not substituted: sensebind embeds frames, not video files."""

    @classmethod
    def from_path(cls, *args, **kwargs):
        raise RuntimeError('debian_compat has no video decoder (install pytorchvideo)')


_SUBSTITUTES = {'timm': _timm, 'einops': _einops, 'iopath': _iopath, 'ftfy': _ftfy, 'pytorchvideo': _pytorchvideo}


def install(names=tuple(_SUBSTITUTES)):
    """Substitutes every package in `names` that is not installed; returns the ones substituted."""
    done = []
    for name in names:
        if name not in sys.modules and _missing(name):
            _SUBSTITUTES[name]()
            done.append(name)
    return done


def substituted():
    """Names this process is using substitutes for."""
    return sorted(n for n, m in sys.modules.items() if '.' not in n and getattr(m, '__sensebind_compat__', False))
