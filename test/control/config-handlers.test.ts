import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigService } from '../../src/config/config-service.js';
import { configControlHandlers } from '../../src/control/config-handlers.js';
import { silentLogger } from '../../src/log.js';

test('config handlers reload through the service and show the applied config', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'midimon-cfgh-'));
  const file = join(dir, 'config.toml');
  const reasons: string[] = [];
  try {
    await writeFile(file, '[[modes]]\nname = "A"\n');
    const service = new ConfigService({ path: file, log: silentLogger(), apply: (ctx) => void reasons.push(ctx.reason), watch: false });
    const h = configControlHandlers(service);
    await assert.rejects(h.configShow(), /no config applied yet/);
    await service.start();
    assert.deepEqual(await h.configPath(), { path: file });
    const shown = await h.configShow();
    assert.equal(shown.hash, service.current?.hash);
    assert.equal(shown.config.modes[0]?.name, 'A');
    await writeFile(file, '[[modes]]\nname = "B"\n');
    const r = await h.reload();
    assert.deepEqual(r.applied ? r.changed : r, ['modes']);
    assert.deepEqual(reasons, ['start', 'midimon reload']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
