/**
 * The microphone track of a whole run, synthesised up front at 16 kHz: room tone, mains hum, a real
 * background recording, the robot's motor while it drives, and every scripted event's sound (synthesised
 * thuds, glass, alarms, footsteps; real dog barks and speech from assets/audio). A pure function of the
 * script: the same seed gives the same samples.
 */
import { Rng } from './rng.js';
import { isDriving, type Script, type ScheduledEvent } from './script.js';
import { loadAsset, type AssetName } from './audio-assets.js';

export const AUDIO_RATE = 16000;

/** Adds a decaying sine partial starting at sample `at`. */
function ping(out: Float32Array, at: number, freq: number, decay: number, amp: number, phase = 0): void {
  const n = Math.min(out.length - at, Math.ceil(decay * 6 * AUDIO_RATE));
  const w = (2 * Math.PI * freq) / AUDIO_RATE;
  for (let i = Math.max(0, -at); i < n; i++) {
    out[at + i] = (out[at + i] as number) + amp * Math.exp(-i / (decay * AUDIO_RATE)) * Math.sin(w * i + phase);
  }
}

/** Adds a noise burst with exponential decay, optionally low-passed (one-pole, coefficient `lp` in (0,1]). */
function burst(out: Float32Array, rng: Rng, at: number, decay: number, amp: number, lp = 1, hp = false): void {
  const n = Math.min(out.length - at, Math.ceil(decay * 6 * AUDIO_RATE));
  let y = 0;
  for (let i = Math.max(0, -at); i < n; i++) {
    const x = rng.next() * 2 - 1;
    y += lp * (x - y);
    const s = hp ? x - y : y;
    out[at + i] = (out[at + i] as number) + amp * Math.exp(-i / (decay * AUDIO_RATE)) * s;
  }
}

/** Mixes a real clip (looped) into [from, to) samples with a short fade at both ends. */
function mixClip(out: Float32Array, clip: Float32Array, from: number, to: number, gain: number, offset: number): void {
  const fade = 400;
  const end = Math.min(out.length, to);
  for (let i = Math.max(0, from); i < end; i++) {
    const k = i - from;
    const env = Math.min(1, k / fade, (end - i) / fade);
    out[i] = (out[i] as number) + gain * env * (clip[(k + offset) % clip.length] as number);
  }
}

function eventSound(out: Float32Array, script: Script, e: ScheduledEvent): void {
  const rng = Rng.derive(script.seed, `audio@${e.kind}@${e.start.toFixed(4)}`);
  const p = e.p;
  const s0 = Math.round(e.start * AUDIO_RATE);
  const s1 = Math.round(e.end * AUDIO_RATE);
  const at = (sec: number) => s0 + Math.round(sec * AUDIO_RATE);
  switch (e.kind) {
    case 'collision': {
      const k = p.strength ?? 1;
      const i = at(p.impact ?? 1);
      ping(out, i, rng.uniform(65, 110), 0.09, 0.6 * k);
      burst(out, rng, i, 0.035, 0.9 * k, 0.25);
      for (let j = 0; j < 5; j++) ping(out, i + rng.int(0, 2400), rng.uniform(350, 950), rng.uniform(0.03, 0.09), 0.08 * k, rng.uniform(0, 6));
      break;
    }
    case 'tipping_over': {
      const fall = p.fall ?? 1;
      const ft = p.fallTime ?? 0.7;
      // scrape while falling, a heavy landing, then plastic rattle
      burst(out, rng, at(fall), ft / 2, 0.12, 0.5, true);
      const land = at(fall + ft);
      ping(out, land, rng.uniform(55, 90), 0.12, 0.75);
      burst(out, rng, land, 0.05, 0.9, 0.3);
      for (let j = 0; j < 8; j++) ping(out, land + rng.int(200, 6000), rng.uniform(600, 1800), rng.uniform(0.02, 0.06), 0.1, rng.uniform(0, 6));
      break;
    }
    case 'picked_up': {
      // a grab clunk, then handling rustle while held, a set-down knock
      const lift = at(p.lift ?? 0.4);
      ping(out, lift, rng.uniform(150, 260), 0.05, 0.25);
      burst(out, rng, lift, 0.02, 0.3, 0.4);
      for (let t = lift + 1600; t < s1 - 3200; t += rng.int(1600, 6400)) burst(out, rng, t, rng.uniform(0.05, 0.15), rng.uniform(0.05, 0.14), 0.6, true);
      ping(out, s1 - 3200, rng.uniform(120, 220), 0.05, 0.2);
      break;
    }
    case 'person_approaching': {
      const dur = e.end - e.start;
      const from = p.from ?? 4;
      const step = 1 / (p.stepHz ?? 1.8);
      for (let t = rng.uniform(0, step); t < dur; t += step * rng.uniform(0.93, 1.07)) {
        const z = from + ((p.to ?? 1) - from) * (t / dur);
        const amp = Math.min(0.7, 0.45 / z);
        const i = at(t);
        ping(out, i, rng.uniform(90, 140), 0.035, amp);
        burst(out, rng, i, 0.012, amp * 0.8, 0.5);
      }
      break;
    }
    case 'someone_talking': {
      const clip = loadAsset((p.clip ?? 0) < 0.5 ? 'speech_1' : 'speech_2');
      const gain = (p.level ?? 0.4) * Math.min(1.4, 1.6 / (p.dist ?? 1.5));
      mixClip(out, clip, s0, s1, gain, Math.floor(rng.uniform(0, clip.length)));
      break;
    }
    case 'door_slam': {
      const k = p.strength ?? 1;
      const i = at(p.slam ?? 0.3);
      burst(out, rng, i, 0.015, 0.9 * k, 0.6);
      ping(out, i, p.tone ?? 180, 0.12, 0.5 * k);
      ping(out, i, (p.tone ?? 180) * 2.3, 0.06, 0.2 * k);
      burst(out, rng, i, 0.35, 0.08 * k, 0.3); // room reverb tail
      for (let j = 0; j < 4; j++) ping(out, i + rng.int(300, 3000), rng.uniform(1500, 3200), 0.03, 0.05 * k, rng.uniform(0, 6));
      break;
    }
    case 'glass_breaking': {
      const lvl = p.level ?? 0.6;
      const i = at(p.crash ?? 0.3);
      burst(out, rng, i, 0.012, lvl, 1, true);
      const base = 2200 + (p.pitch ?? 0.5) * 2500;
      for (let j = 0; j < 45; j++) {
        const dt = Math.min(2.2, -Math.log(Math.max(1e-6, rng.next())) * 0.35);
        const a = lvl * 0.35 * Math.exp(-dt / 0.8) * rng.uniform(0.3, 1);
        const f = base * rng.uniform(0.6, 2.2);
        const t = i + Math.round(dt * AUDIO_RATE);
        ping(out, t, f, rng.uniform(0.015, 0.1), a, rng.uniform(0, 6));
        ping(out, t, f * 1.59, rng.uniform(0.01, 0.05), a * 0.5, rng.uniform(0, 6));
      }
      break;
    }
    case 'alarm_ringing': {
      const f = p.freq ?? 3000;
      const period = p.period ?? 0.5;
      const lvl = p.level ?? 0.25;
      let phase = 0;
      for (let n = Math.max(0, s0); n < Math.min(out.length, s1); n++) {
        const tau = (n - s0) / AUDIO_RATE;
        const on = Math.floor(tau / period) % 2 === 0;
        // siren: a continuous sweep whose louder half follows the beacon; beeper: tone on/off with the beacon
        const freq = p.siren === 1 ? f * (0.72 + 0.28 * (0.5 + 0.5 * Math.sin((Math.PI * tau) / period))) : f;
        phase += (2 * Math.PI * freq) / AUDIO_RATE;
        const env = p.siren === 1 ? (on ? 1 : 0.6) : on ? 1 : 0;
        const edge = Math.min(1, (n - s0) / 160, (s1 - n) / 160);
        out[n] = (out[n] as number) + lvl * env * edge * (Math.sin(phase) + 0.3 * Math.sin(3 * phase));
      }
      break;
    }
    case 'dog_barking': {
      const clip = loadAsset((p.clip ?? 0) < 0.5 ? 'dog_bark_1' : 'dog_bark_2');
      const gain = (p.level ?? 0.5) * Math.min(1.3, 1.8 / (p.dist ?? 2));
      mixClip(out, clip, s0, s1, gain, Math.floor(rng.uniform(0, clip.length / 2)));
      break;
    }
  }
}

/** The whole run's audio at 16 kHz, in [-1, 1]. */
export function synthesizeAudio(script: Script): Float32Array {
  const n = Math.round(script.duration * AUDIO_RATE);
  const out = new Float32Array(n);
  const s = script.setup;
  const rng = Rng.derive(script.seed, 'audio-bed');
  const bg = s.backgroundClip !== undefined ? loadAsset(s.backgroundClip as AssetName) : undefined;
  let tone = 0;
  let motorNoise = 0;
  let motorEnv = 0;
  const humW = (2 * Math.PI * s.humHz) / AUDIO_RATE;
  const motorHz = rng.uniform(110, 170);
  const motorW = (2 * Math.PI * motorHz) / AUDIO_RATE;
  for (let i = 0; i < n; i++) {
    tone += 0.08 * (rng.next() * 2 - 1 - tone);
    let v = s.ambientLevel * 3 * tone;
    if (s.humHz > 0) v += s.humLevel * (Math.sin(humW * i) + 0.4 * Math.sin(3 * humW * i));
    if (bg !== undefined) v += s.backgroundLevel * (bg[i % bg.length] as number);
    if (i % 160 === 0) motorEnv += ((isDriving(script, i / AUDIO_RATE) ? 1 : 0) - motorEnv) * 0.3;
    if (motorEnv > 0.001) {
      motorNoise += 0.3 * (rng.next() * 2 - 1 - motorNoise);
      v += motorEnv * (0.018 * (Math.sin(motorW * i) + 0.5 * Math.sin(2 * motorW * i)) + 0.02 * motorNoise);
    }
    out[i] = v;
  }
  for (const e of script.events) eventSound(out, script, e);
  for (let i = 0; i < n; i++) {
    const v = out[i] as number;
    out[i] = v > 1 ? 1 : v < -1 ? -1 : v;
  }
  return out;
}
