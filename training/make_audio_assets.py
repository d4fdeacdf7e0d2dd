#!/usr/bin/python3
"""Copies the short real-audio excerpts the simulator mixes into its scenes from ../shared/data/audio into
assets/audio/, as 16 kHz mono 16-bit WAV (the simulator's microphone format).

Offline step, run once from the repository root:  /usr/bin/python3 training/make_audio_assets.py
Only clips whose licences allow redistribution are used (see assets/audio/LICENSES.md).
"""
import os
import torch
import torchaudio

SRC = os.path.join('..', 'shared', 'data', 'audio')
DST = os.path.join('assets', 'audio')
RATE = 16000

# (output name, source path, start s, seconds)
CLIPS = [
    ('dog_bark_1.wav', 'esc10/dog_bark__1-100032-A.wav', 0.0, 5.0),
    ('dog_bark_2.wav', 'esc10/dog_bark__1-30226-A.wav', 0.0, 5.0),
    ('speech_1.wav', 'speech/silero_test_speech.wav', 0.0, 8.0),
    ('speech_2.wav', 'speech/silero_test_speech.wav', 30.0, 8.0),
    ('bg_dishes.wav', 'background/doing_the_dishes.wav', 10.0, 8.0),
    ('bg_tap.wav', 'background/running_tap.wav', 5.0, 8.0),
]


def main():
    os.makedirs(DST, exist_ok=True)
    for name, src, start, seconds in CLIPS:
        wave, rate = torchaudio.load(os.path.join(SRC, src))
        wave = wave[:1]  # channel 0
        if rate != RATE:
            wave = torchaudio.functional.resample(wave, rate, RATE)
        a = int(start * RATE)
        wave = wave[:, a:a + int(seconds * RATE)]
        peak = float(wave.abs().max())
        if peak > 0:
            wave = wave * (0.9 / peak)  # normalise: the simulator sets levels itself
        torchaudio.save(os.path.join(DST, name), wave, RATE, encoding='PCM_S', bits_per_sample=16)
        print(name, wave.shape[1] / RATE, 's')


if __name__ == '__main__':
    torch.manual_seed(0)
    main()
