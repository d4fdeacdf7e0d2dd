/**
 * The event kinds the simulator scripts, with the words people use for them. This list is the one source
 * of truth for labels: the ground-truth topic carries `id`, the default concepts (src/memory, concepts/)
 * and bind-mini's training captions are built from `label` and `captions`.
 *
 * `observedBy` lists the modalities in which the simulator makes the event visible; the others carry no
 * trace of it (a dog barking does not move the IMU). Several kinds are designed to be ambiguous in any
 * single modality and clear only together: collision vs door slam (both a thud; only the IMU and camera
 * tell them apart), person approaching vs someone talking (both a person in view; footsteps vs speech and
 * a changing vs constant depth), tipping over vs picked up (both rotate the IMU).
 */
import type { SensorModality } from '../core/types.js';

export const EVENT_IDS = [
  'collision',
  'tipping_over',
  'picked_up',
  'person_approaching',
  'someone_talking',
  'door_slam',
  'glass_breaking',
  'alarm_ringing',
  'dog_barking',
] as const;
export type EventId = (typeof EVENT_IDS)[number];

/** `idle` is the background: no ground-truth message is written for it. */
export const BACKGROUND_ID = 'idle' as const;
export type SceneLabel = EventId | typeof BACKGROUND_ID;
export const SCENE_LABELS: readonly SceneLabel[] = [BACKGROUND_ID, ...EVENT_IDS];

export interface EventKind {
  id: SceneLabel;
  /** Short human label, e.g. for a concept. */
  label: string;
  /** Caption variants (noun phrases without a template): training text and concept prompts. */
  captions: readonly string[];
  observedBy: readonly SensorModality[];
  /** Duration range in seconds of the ground-truth interval. */
  seconds: readonly [number, number];
  background: boolean;
}

export const EVENT_KINDS: readonly EventKind[] = [
  {
    id: 'idle',
    label: 'nothing happening',
    captions: ['nothing happening', 'a quiet empty room', 'a robot standing still', 'an empty room with an open door', 'silence'],
    observedBy: ['vision', 'audio', 'depth', 'imu'],
    seconds: [2, 6],
    background: true,
  },
  {
    id: 'collision',
    label: 'collision with an obstacle',
    captions: ['a collision with an obstacle', 'the robot bumping into a box', 'a crash into an obstacle', 'hitting an obstacle'],
    observedBy: ['vision', 'audio', 'depth', 'imu'],
    seconds: [3, 4],
    background: false,
  },
  {
    id: 'tipping_over',
    label: 'robot tipping over',
    captions: ['the robot tipping over', 'the robot falling on its side', 'a robot falling over', 'a tilted view after a fall'],
    observedBy: ['vision', 'audio', 'depth', 'imu'],
    seconds: [4, 6],
    background: false,
  },
  {
    id: 'picked_up',
    label: 'robot picked up',
    captions: ['the robot being picked up', 'someone lifting the robot', 'hands holding the robot up', 'the robot carried by a person'],
    observedBy: ['vision', 'audio', 'depth', 'imu'],
    seconds: [4, 6],
    background: false,
  },
  {
    id: 'person_approaching',
    label: 'person approaching',
    captions: ['a person approaching', 'someone walking towards the robot', 'footsteps of a person coming closer', 'a person walking up'],
    observedBy: ['vision', 'audio', 'depth'],
    seconds: [4, 6],
    background: false,
  },
  {
    id: 'someone_talking',
    label: 'someone talking',
    captions: ['someone talking', 'a person speaking', 'a person standing and talking', 'a human voice'],
    observedBy: ['vision', 'audio', 'depth'],
    seconds: [4, 7],
    background: false,
  },
  {
    id: 'door_slam',
    label: 'door slamming',
    captions: ['a door slamming', 'a door slammed shut', 'the bang of a closing door', 'a closed door after a slam'],
    observedBy: ['vision', 'audio', 'depth', 'imu'],
    seconds: [2.5, 3.5],
    background: false,
  },
  {
    id: 'glass_breaking',
    label: 'glass breaking',
    captions: ['glass breaking', 'a glass shattering', 'broken glass on the floor', 'the sound of shattering glass'],
    observedBy: ['vision', 'audio'],
    seconds: [3, 4],
    background: false,
  },
  {
    id: 'alarm_ringing',
    label: 'alarm ringing',
    captions: ['an alarm ringing', 'a beeping alarm', 'a flashing red alarm light', 'an alarm going off'],
    observedBy: ['vision', 'audio'],
    seconds: [4, 7],
    background: false,
  },
  {
    id: 'dog_barking',
    label: 'dog barking',
    captions: ['a dog barking', 'a barking dog', 'a dog in the room', 'the sound of a dog'],
    observedBy: ['vision', 'audio', 'depth'],
    seconds: [4, 6],
    background: false,
  },
];

const BY_ID = new Map(EVENT_KINDS.map((k) => [k.id, k]));

export function eventKind(id: SceneLabel): EventKind {
  const kind = BY_ID.get(id);
  if (kind === undefined) throw new Error(`unknown event kind ${id}`);
  return kind;
}

export function isEventId(value: string): value is EventId {
  return (EVENT_IDS as readonly string[]).includes(value);
}
