import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { JsonValue } from '../../src/plugins/types.js';
import { ExampleHost } from './helpers/example-host.js';

const SETLIST = {
  channel: 2,
  songs: [
    { name: 'Opener', program: 5, mode: 'Verse' },
    { name: 'Ballad', bank_msb: 1, bank_lsb: 3, program: 12, cc: [{ cc: 7, value: 90 }, { cc: 91, value: 40 }] },
    { name: 'Encore', channel: 10, program: 0, mode: 'Drums' },
  ],
};

async function withSetlist(body: (stateDir: string, dataDir: string) => Promise<void>, setlist: unknown = SETLIST): Promise<void> {
  // null: no setlist file at all.
  const stateDir = await mkdtemp(join(tmpdir(), 'midimon-setlist-'));
  const dataDir = join(stateDir, 'plugin-data', 'setlist');
  await mkdir(dataDir, { recursive: true });
  if (setlist !== null) await writeFile(join(dataDir, 'setlist.json'), typeof setlist === 'string' ? setlist : JSON.stringify(setlist));
  try {
    await body(stateDir, dataDir);
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}

async function granted(stateDir: string): Promise<ExampleHost> {
  const h = await ExampleHost.create({ setlist: ['Filesystem'] }, stateDir);
  await h.load('setlist');
  return h;
}

test('next/prev/goto send each song\'s bank, program, CCs and mode, clamping at the ends', async () => {
  await withSetlist(async (stateDir) => {
    const h = await granted(stateDir);
    try {
      const next1 = await h.run('setlist', 'next');
      assert.equal(next1.code, 0);
      assert.deepEqual(h.midi(next1.calls), [[0xc1, 5]]);
      assert.deepEqual(next1.calls.filter((c) => c.fn === 'set_mode'), [{ fn: 'set_mode', mode: 'Verse' }]);
      assert.deepEqual(next1.calls.find((c) => c.fn === 'log'), { fn: 'log', level: 1, message: 'song 1/3: Opener' });

      const next2 = await h.run('setlist', 'next');
      assert.deepEqual(h.midi(next2.calls), [[0xb1, 0, 1], [0xb1, 32, 3], [0xc1, 12], [0xb1, 7, 90], [0xb1, 91, 40]]);
      assert.equal(next2.calls.some((c) => c.fn === 'set_mode'), false);

      assert.deepEqual(h.midi((await h.run('setlist', 'next')).calls), [[0xc9, 0]]);
      assert.deepEqual(h.midi((await h.run('setlist', 'next')).calls), [[0xc9, 0]], 'stays on the last song');
      assert.deepEqual(h.midi((await h.run('setlist', 'next', {}, { wrap: true })).calls), [[0xc1, 5]], 'wraps when asked');
      assert.deepEqual(h.midi((await h.run('setlist', 'prev')).calls), [[0xc1, 5]], 'stays on the first song');
      assert.deepEqual(h.midi((await h.run('setlist', 'prev', {}, { wrap: true })).calls), [[0xc9, 0]]);

      const byName = await h.run('setlist', 'goto', {}, { name: 'ballad' });
      assert.equal(byName.code, 0);
      assert.deepEqual(h.midi(byName.calls)[2], [0xc1, 12]);
      assert.deepEqual(h.midi((await h.run('setlist', 'goto', {}, { index: 0 })).calls), [[0xc1, 5]]);
      assert.deepEqual(h.midi((await h.run('setlist', 'current')).calls), [[0xc1, 5]]);

      for (const params of <Record<string, JsonValue>[]>[{}, { index: 3 }, { index: -1 }, { name: 'Nope' }, { name: 3 }]) {
        assert.deepEqual(await h.run('setlist', 'goto', {}, params), { code: 4, calls: [] }, JSON.stringify(params));
      }
      assert.deepEqual(await h.run('setlist', 'next', {}, { wrap: 'yes' }), { code: 4, calls: [] });
      assert.deepEqual(await h.run('setlist', 'shuffle'), { code: 3, calls: [] });
    } finally {
      await h.stop(false);
    }
  });
});

test('the position is kept in the data dir and survives a fresh PluginHost', async () => {
  await withSetlist(async (stateDir, dataDir) => {
    const first = await granted(stateDir);
    await first.run('setlist', 'goto', {}, { name: 'Encore' });
    await first.stop(false);
    assert.equal(await readFile(join(dataDir, 'position'), 'utf8'), '2\n');

    const second = await granted(stateDir);
    try {
      const prev = await second.run('setlist', 'prev');
      assert.equal(prev.code, 0);
      assert.deepEqual(second.midi(prev.calls)[2], [0xc1, 12], 'continues from Encore to Ballad');
      assert.equal(await readFile(join(dataDir, 'position'), 'utf8'), '1\n');
    } finally {
      await second.stop(false);
    }
  });
});

test('without the Filesystem grant: code 6, nothing sent, the host and other plugins keep working', async () => {
  await withSetlist(async (stateDir, dataDir) => {
    const h = await ExampleHost.create({}, stateDir);
    try {
      await h.load('setlist');
      await h.load('wasm-minimal');
      assert.deepEqual(h.host.get('setlist')?.denied, ['Filesystem']);
      for (const action of ['next', 'prev', 'goto', 'current']) {
        assert.deepEqual(await h.run('setlist', action, {}, { index: 0 }), { code: 6, calls: [] }, action);
      }
      await assert.rejects(readFile(join(dataDir, 'position')), { code: 'ENOENT' });
      assert.equal((await h.run('wasm-minimal', 'x')).code, 0);
      assert.equal((await h.run('setlist', 'next')).code, 6, 'the plugin itself keeps answering');
    } finally {
      await h.stop(false);
    }
  });
});

test('missing setlist gives 7; invalid ones give 8 and log the field', async () => {
  await withSetlist(async (stateDir) => {
    const h = await granted(stateDir);
    try {
      assert.deepEqual(await h.run('setlist', 'next'), { code: 7, calls: [] });
    } finally {
      await h.stop(false);
    }
  }, null);
  const bad: [unknown, string][] = [
    ['{"songs": [', 'setlist.json: EOF'],
    [{ songs: [] }, 'setlist.json: songs: empty'],
    [{ songs: [{ name: 'A', program: 128 }] }, 'setlist.json: songs[0].program: must be 0-127'],
    [{ songs: [{ name: 'A' }, { name: 'B', cc: [{ cc: 7, value: 200 }] }] }, 'setlist.json: songs[1].cc: cc and value must be 0-127'],
    [{ songs: [{ name: 'A', programme: 1 }] }, 'setlist.json: unknown field `programme`'],
  ];
  // The plugin re-reads setlist.json on every call: one host serves all cases.
  await withSetlist(async (stateDir, dataDir) => {
    const h = await granted(stateDir);
    try {
      for (const [content, message] of bad) {
        await writeFile(join(dataDir, 'setlist.json'), typeof content === 'string' ? content : JSON.stringify(content));
        const r = await h.run('setlist', 'next');
        assert.equal(r.code, 8, JSON.stringify(content));
        assert.equal(r.calls.length, 1);
        const log = r.calls[0];
        assert.ok(log?.fn === 'log' && log.level === 3 && log.message.startsWith(message), `${JSON.stringify(log)} should start with ${message}`);
      }
      await writeFile(join(dataDir, 'setlist.json'), JSON.stringify(SETLIST));
      assert.equal((await h.run('setlist', 'next')).code, 0, 'a fixed file works without a restart');
    } finally {
      await h.stop(false);
    }
  });
});
