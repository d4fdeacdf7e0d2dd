/**
 * Home Assistant MQTT discovery: one device per robot with one `event` entity whose event types are
 * the concept labels. Device-based discovery (`<prefix>/device/<id>/config`, `dev` + `o` + `cmps`) lets
 * later entities join the same device. Availability follows `<prefix>/<robot>/status`; `stopped` counts
 * as unavailable (the template maps anything but `online` to `offline`).
 * Events are never retained (Home Assistant discards retained event messages).
 */
import type { MqttTopics } from './topics.js';

export interface HaDiscoveryInput {
  discoveryPrefix: string;
  robot: string;
  topics: MqttTopics;
  /** Event types: labels of the enabled, non-background concepts. */
  eventTypes: string[];
  softwareVersion: string;
}

/** A Home Assistant object id: letters, digits, `_` and `-` only. */
function haObjectId(robot: string): string {
  return `sensebind_${robot.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

export function haDiscoveryTopic(discoveryPrefix: string, robot: string): string {
  return `${discoveryPrefix}/device/${haObjectId(robot)}/config`;
}

export function haDiscoveryPayload(input: HaDiscoveryInput): Record<string, unknown> {
  const id = haObjectId(input.robot);
  return {
    dev: {
      ids: [id],
      name: `sensebind ${input.robot}`,
      mf: 'sensebind',
      mdl: 'sensebind multimodal event agent',
      sw: input.softwareVersion,
    },
    o: { name: 'sensebind', sw: input.softwareVersion },
    cmps: {
      [`${id}_events`]: {
        p: 'event',
        unique_id: `${id}_events`,
        name: 'Events',
        icon: 'mdi:eye-circle',
        state_topic: input.topics.haEvents,
        event_types: input.eventTypes,
        // Per component as well as on the device: Home Assistant reads QoS per entity.
        qos: 1,
      },
    },
    availability: [
      {
        topic: input.topics.status,
        value_template: "{{ 'online' if value == 'online' else 'offline' }}",
        payload_available: 'online',
        payload_not_available: 'offline',
      },
    ],
    qos: 1,
  };
}
