/**
 * Every topic sensebind publishes or subscribes, built in one place so docs/mqtt.md has one source.
 * Layout follows Frigate's (`<prefix>/<robot>/...`): one robot = one subtree, so ACLs and fleet
 * dashboards can use `<prefix>/+/events`.
 */

export interface MqttTopics {
  /** Event messages (start/update/end), QoS 1, never retained. */
  events: string;
  /** `online` (retained, on connect), `offline` (Last Will), `stopped` (retained, clean stop). */
  status: string;
  /** Retained list of concepts. */
  concepts: string;
  /** Concept commands (add, update, remove, teach, list). */
  commands: string;
  /** Where replies go when a command names no reply topic. */
  commandReplies: string;
  /** Home Assistant event entity's state topic (start of each event, `{"event_type": ...}`). */
  haEvents: string;
  /** Retained state of one concept (active or not, score, current event). */
  conceptState(conceptId: string): string;
}

/** A concept id as one topic level: characters MQTT gives meaning to (`/ + #`), spaces and NUL become `_`. */
function topicLevel(id: string): string {
  // eslint-disable-next-line no-control-regex -- NUL is not allowed in an MQTT topic
  const level = id.replace(/[/+#\s\u0000]/g, '_');
  return level === '' ? '_' : level;
}

export function mqttTopics(prefix: string, robot: string): MqttTopics {
  const base = `${prefix}/${topicLevel(robot)}`;
  return {
    events: `${base}/events`,
    status: `${base}/status`,
    concepts: `${base}/concepts`,
    commands: `${base}/cmd/concepts`,
    commandReplies: `${base}/cmd/concepts/reply`,
    haEvents: `${base}/ha/event`,
    conceptState: (conceptId) => `${base}/state/${topicLevel(conceptId)}`,
  };
}

/** Whether a topic may be published to (no wildcards, not empty): reply topics come from users. */
export function isPublishableTopic(topic: string): boolean {
  // eslint-disable-next-line no-control-regex -- NUL is not allowed in an MQTT topic
  return topic.length > 0 && topic.length < 65_536 && !/[+#\u0000]/.test(topic);
}
