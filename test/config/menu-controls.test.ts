import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfigText } from '../../src/config/load.js';
import { formatIssue } from '../../src/config/issues.js';

const BASE = '[[devices.footswitches]]\nname = "left"\npin = 17\n\n[[modes]]\nname = "Main"\n';

async function lines(toml: string): Promise<string[]> {
  const r = await validateConfigText(toml, 'box.toml', { checkPluginFiles: false });
  return r.ok ? [] : r.issues.map(formatIssue);
}

test('menu controls bound to switches, notes and CCs are accepted', async () => {
  const r = await validateConfigText(
    `${BASE}\n[[menu.controls]]\ncontrol = "enter"\nswitch = "left"\ngesture = "long"\n\n[[menu.controls]]\ncontrol = "next"\ncc = 80\nchannel = 16\n`,
    'box.toml',
    { checkPluginFiles: false },
  );
  assert.equal(r.ok, true);
  if (r.ok) assert.deepEqual(r.config.menu.controls?.[1], { control: 'next', cc: 80, channel: 16, gesture: 'press' });
});

test('a menu control naming an unknown footswitch is rejected with its path', async () => {
  const out = await lines(`${BASE}\n[[menu.controls]]\ncontrol = "next"\nswitch = "right"\n`);
  assert.equal(out.length, 1);
  assert.match(out[0] ?? '', /menu\.controls\[0\]\.switch: unknown footswitch "right" \(footswitches: "left"\)/);
});

test('a menu control must have exactly one source', async () => {
  const out = await lines(`${BASE}\n[[menu.controls]]\ncontrol = "next"\nswitch = "left"\ncc = 3\n`);
  assert.equal(out.length, 1);
  assert.match(out[0] ?? '', /menu\.controls\[0\]: give exactly one of switch, note or cc/);
});
