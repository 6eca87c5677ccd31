import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { PluginHost } from '../src/plugins/host.js';
import { fixture } from '../test/plugins/helpers/wat.js';
process.env['MIDIMON_PLUGIN_TEST_HOOKS'] = '1';
const host = new PluginHost({ log: pino({ level: 'debug' }), stateDir: mkdtempSync(join(tmpdir(), 'x-')), profile: 'desktop', onPluginFault: (p, f) => console.log('FAULT', p, f) });
await host.load('victim', { bytes: fixture('healthy', { name: 'victim' }) });
console.log(host.processInfo());
host.testProvokeFatal('victim');
console.log(await host.execute('victim', 'ping'));
for (let i = 0; i < 40; i++) { await new Promise((r) => setTimeout(r, 500)); console.log(host.processInfo(), host.status().map((s) => s.state)); if (host.status()[0]?.state === 'ready' && (host.processInfo()?.generation ?? 0) > 1) break; }
console.log(await host.execute('victim', 'ping'));
await host.stop();
