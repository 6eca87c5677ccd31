// Worker entry: one plugin per worker thread, so a stuck plugin is stopped
// with Worker.terminate() without touching the main thread or other plugins.
import { parentPort } from 'node:worker_threads';
import { parseHostMessage, type WorkerToHost } from './protocol.js';
import { createPluginServer } from './plugin-server.js';

const port = parentPort;
if (port === null) throw new Error('plugin-worker must run in a worker thread');

const post = (m: WorkerToHost): void => port.postMessage(m);
const serve = createPluginServer(post);

port.on('message', (raw: unknown) => {
  const msg = parseHostMessage(raw);
  if (msg === undefined) {
    post({ t: 'log', level: 'error', msg: 'plugin worker: malformed message from host ignored', fields: {} });
    return;
  }
  serve(msg);
});
