import { MidimonError } from '../errors.js';
import type { ConfigService } from '../config/config-service.js';
import type { ControlHandlers } from './protocol.js';

/**
 * The config-related control handlers, ready made: the composition root
 * spreads them into its ControlHandlers and implements the rest.
 */
export function configControlHandlers(service: ConfigService): Pick<ControlHandlers, 'reload' | 'configShow' | 'configPath'> {
  return {
    reload: () => service.reload('midimon reload'),
    configShow: async () => {
      const current = service.current;
      if (current === undefined) throw new MidimonError('not_found', 'no config applied yet');
      return { path: service.path, hash: current.hash, config: current.config };
    },
    configPath: async () => ({ path: service.path }),
  };
}
