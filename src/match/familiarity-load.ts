/**
 * Opens the familiarity gate the config asks for (config `match.familiarity`): the named file, or the
 * model folder's familiarity.json when there is one (a model without one, such as an ImageBind export,
 * matches as before). A file made for another model is refused: its exemplars live in another space.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SensorModality } from '../core/types.js';
import { SensebindError, errorMessage } from '../core/errors.js';
import { FamiliarityGate, parseFamiliarityTable } from './familiarity.js';

export interface FamiliarityConfig {
  enabled: boolean;
  /** Empty: familiarity.json in the model folder, when present. */
  file: string;
  percentile: number;
  modalities: SensorModality[];
}

const FAMILIARITY_FILE = 'familiarity.json';

export async function loadFamiliarityGate(config: FamiliarityConfig, model: { dir: string; id: string }): Promise<FamiliarityGate | undefined> {
  if (!config.enabled) return undefined;
  const path = config.file !== '' ? config.file : join(model.dir, FAMILIARITY_FILE);
  if (config.file === '' && !existsSync(path)) return undefined;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new SensebindError('CONFIG', `match.familiarity.file: cannot read ${path}: ${errorMessage(err)}`);
  }
  const table = parseFamiliarityTable(text, path);
  if (table.modelId !== model.id) {
    throw new SensebindError('CONFIG', `${path}: made for model ${table.modelId}, but the model is ${model.id} (rebuild it with \`sensebind dataset familiarity\`, or set match.familiarity.enabled: false)`);
  }
  return new FamiliarityGate(table, { percentile: config.percentile, modalities: config.modalities });
}
