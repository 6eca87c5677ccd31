// Worker entry: one plugin per worker thread, so a stuck plugin is stopped
// with Worker.terminate() without touching the main thread or other plugins.
import { parentPort } from 'node:worker_threads';
import { PLUGIN_PROCESS_TEST_HOOKS, parseHostMessage, type WorkerToHost } from './protocol.js';
import { createPluginServer } from './plugin-server.js';

const port = parentPort;
if (port === null) throw new Error('plugin-worker must run in a worker thread');

const post = (m: WorkerToHost, transfer?: ArrayBuffer[]): void => port.postMessage(m, transfer);
const serve = createPluginServer(post);

const testHooks = process.env[PLUGIN_PROCESS_TEST_HOOKS] === '1';

port.on('message', (raw: unknown) => {
  if (testHooks && typeof raw === 'object' && raw !== null && (raw as { t?: unknown }).t === 'test_fatal') {
    provokeFatal();
    return;
  }
  const msg = parseHostMessage(raw);
  if (msg === undefined) {
    post({ t: 'log', level: 'error', msg: 'plugin worker: malformed message from host ignored', fields: {} });
    return;
  }
  serve(msg);
});

/**
 * What the sandbox's caps exist to prevent, done on purpose for the
 * containment test: table slots live on the JS heap, and a 10M-slot externref
 * table ends in V8's "Reached heap limit" fatal error, which kills the whole
 * process (a worker's resourceLimits do not catch it).
 */
function provokeFatal(): void {
  const tables: WebAssembly.Table[] = [];
  for (;;) {
    const t = new WebAssembly.Table({ initial: 0, element: 'externref' });
    t.grow(10_000_000);
    tables.push(t);
  }
}
