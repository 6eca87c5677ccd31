import { MidimonError } from '../../errors.js';
import type { HostToWorker, WorkerToHost } from './protocol.js';
import { CallFailure, PluginRuntime, compilePlugin } from '../runtime/runtime.js';
import { batchTransfer } from './send-batch.js';

/**
 * Answers the host's requests for one plugin: the same code serves a worker
 * thread (isolated lane, replies go through postMessage) and the main thread
 * (realtime lane, replies are collected in place), so both lanes load,
 * execute and fail identically.
 */
export function createPluginServer(post: (m: WorkerToHost, transfer?: ArrayBuffer[]) => void): (msg: HostToWorker) => void {
  let runtime: PluginRuntime | undefined;

  const handle = (msg: HostToWorker): void => {
    switch (msg.t) {
      case 'load': {
        runtime = new PluginRuntime(msg.name, msg.limits, msg.granted, msg.dataDir, {
          // The batch's buffers move to the receiving thread (no copy); the runtime made them for this message.
          hostCalls: (batch) => post({ t: 'host_calls', batch }, batchTransfer(batch)),
          log: (level, text, fields) => post({ t: 'log', level, msg: text, fields }),
        });
        const r = runtime.load(msg.source, () => post({ t: 'running', id: msg.id }), msg.measure === true);
        post({
          t: 'loaded', id: msg.id, metadata: r.metadata, compiled: r.compiled, fuel: r.fuel, micros: r.micros,
          ...(r.instantiateMicros === undefined ? {} : { instantiateMicros: r.instantiateMicros }),
        });
        return;
      }
      case 'execute': {
        if (runtime === undefined) throw new MidimonError('internal', 'execute before load');
        const r = runtime.execute(msg.request);
        post({ t: 'executed', id: msg.id, code: r.code, fuel: r.fuel, fuelTotal: r.fuelTotal, micros: r.micros });
        return;
      }
      case 'grants':
        runtime?.setGrants(msg.granted, msg.dataDir);
        post({ t: 'ack', id: msg.id });
        return;
      case 'compile':
        post({ t: 'compiled', id: msg.id, compiled: compilePlugin(msg.bytes, msg.limits) });
        return;
    }
  };

  return (msg) => {
    try {
      handle(msg);
    } catch (err) {
      post(failure(msg.id, err));
    }
  };
}

function failure(id: number, err: unknown): WorkerToHost {
  if (err instanceof CallFailure) return { t: 'failed', id, error: err.error.toJSON(), ...err.cost };
  const e = err instanceof MidimonError ? err : new MidimonError('internal', err instanceof Error ? err.message : String(err));
  return { t: 'failed', id, error: e.toJSON(), fuel: 0, fuelTotal: 0, micros: 0 };
}
