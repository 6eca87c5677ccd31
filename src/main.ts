// Composition root: the only place that wires real drivers (or their simulated
// fakes) to the engine. Filled in as the domains land.
import { createLogger } from './log.js';

const log = createLogger();
log.info('midimon-box starting (skeleton)');
