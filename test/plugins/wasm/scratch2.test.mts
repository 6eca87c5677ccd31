import { AS_PROGRAMS_SOURCE, compileAssemblyScript } from '../../fixtures/wasm/as-programs.js';
import { instrument } from '../../../src/plugins/wasm/instrument.js';
import { writeFileSync } from 'node:fs';
const bin = await compileAssemblyScript(AS_PROGRAMS_SOURCE);
writeFileSync('/tmp/as.wasm', bin);
writeFileSync('/tmp/as-m.wasm', instrument(bin, { maxMemoryPages: 1024, growCostPerPage: 0 }).bytes);
