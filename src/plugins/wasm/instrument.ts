import { MidimonError } from '../../errors.js';
import type { InstrumentedModule, InstrumentOptions, ModuleInfo } from './types.js';

// Placeholder until the decoder/rewriter lands; the signatures are the contract.
export function inspectModule(_bytes: Uint8Array): ModuleInfo {
  throw new MidimonError('internal', 'inspectModule: not implemented yet');
}

export function instrument(_bytes: Uint8Array, _options: InstrumentOptions): InstrumentedModule {
  throw new MidimonError('internal', 'instrument: not implemented yet');
}
