/**
 * Why a subscription can never receive from a publisher (REP-2003 / DDS request-offered rules): a
 * reliable subscriber does not match a best-effort publisher, nor a transient_local subscriber a volatile
 * one. DDS reports nothing to the subscriber's data path; the topic is simply silent. sensebind checks
 * the graph for silent subscriptions and says, once per topic, which publisher and what to change.
 */
import type { QosProfile } from '../bag/qos.js';
import type { PublisherQos } from './transport.js';

/** One line per publisher that cannot match `qos`, naming the fix; empty when all can. */
export function qosMismatches(topic: string, qos: QosProfile, publishers: readonly PublisherQos[]): string[] {
  const out: string[] = [];
  for (const p of publishers) {
    if (qos.reliability === 'reliable' && p.reliability === 'best_effort') {
      out.push(`${topic}: publisher ${p.node} offers best_effort, this subscription requests reliable: they never match; set ros2.topics[].qos.reliability: best_effort (matches every publisher)`);
    } else if (qos.durability === 'transient_local' && p.durability === 'volatile') {
      out.push(`${topic}: publisher ${p.node} offers volatile, this subscription requests transient_local: they never match; set ros2.topics[].qos.durability: volatile`);
    }
  }
  return out;
}
