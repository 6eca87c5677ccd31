// The status screen with a setlist: the current song's name large in the header,
// its position ("3/8"), and the next song small below.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Framebuffer } from '../../src/display/framebuffer.js';
import { textRow } from '../../src/display/layout.js';
import { renderStatus } from '../../src/display/screens/status-screen.js';
import { DEMO_STATUS } from '../../src/display/demo-views.js';
import type { StatusView } from '../../src/display/view-models.js';

/** Rows y0..y1 (inclusive) as ASCII art, so a failure shows the pixels. */
function rows(fb: Framebuffer, y0: number, y1: number): string {
  return fb.toAscii().split('\n').slice(y0, y1 + 1).join('\n');
}

function rowText(left: string, right: string, y: number, height = 64): Framebuffer {
  const fb = new Framebuffer(128, height);
  textRow(fb, y, left, right, false, 0);
  return fb;
}

const LIVE: StatusView = { ...DEMO_STATUS, mode: { index: 3, name: 'Live', count: 4 } };

for (const height of [64, 32] as const) {
  test(`${height} rows: the current song is the large header (number/count + name), the next song and the mode below`, () => {
    const fb = renderStatus({ ...LIVE, song: { position: 3, count: 8, name: 'Encore', next: 'Outro', active: true } }, 128, height);
    // The header is exactly what a mode named "Encore", number 3 of 8, would draw: large glyphs.
    const asMode = renderStatus({ ...LIVE, mode: { index: 3, name: 'Encore', count: 8 } }, 128, height);
    assert.equal(rows(fb, 0, 15), rows(asMode, 0, 15));
    assert.notEqual(rows(fb, 0, 15), rows(renderStatus(LIVE, 128, height), 0, 15), 'not the mode header');
    const y = height === 64 ? 18 : 16;
    assert.equal(rows(fb, y, y + 7), rows(rowText('Next: Outro', 'Live', y, height), y, y + 7));
  });
}

test('on the last song the row says so; after a manual mode change the mode header returns and the row keeps the position', () => {
  const last = renderStatus({ ...LIVE, song: { position: 8, count: 8, name: 'Encore', next: null, active: true } });
  assert.equal(rows(last, 17, 26), rows(rowText('Next: (end)', 'Live', 18), 17, 26));
  const away = renderStatus({ ...LIVE, song: { position: 2, count: 8, name: 'Ballad', next: 'Encore', active: false } });
  assert.equal(rows(away, 0, 15), rows(renderStatus(LIVE), 0, 15), 'the mode is the header');
  assert.equal(rows(away, 17, 26), rows(rowText('Song 2/8 Ballad', '', 18), 17, 26));
  const fresh = renderStatus({ ...LIVE, song: { position: null, count: 8, name: null, next: 'Opener', active: false } });
  assert.equal(rows(fresh, 17, 26), rows(rowText('Next: Opener', 'song -/8', 18), 17, 26));
});

test('with a banner the song row stays visible above it; without a setlist the screen is unchanged', () => {
  const fb = renderStatus({ ...LIVE, song: { position: 1, count: 2, name: 'Opener', next: 'Encore', active: true }, banner: { severity: 'error', text: 'Synth gone' } });
  assert.equal(rows(fb, 17, 26), rows(rowText('Next: Encore', 'Live', 18), 17, 26));
  const { song: _none, ...plain } = { ...LIVE, song: undefined };
  assert.ok(renderStatus(plain).equals(renderStatus(LIVE)));
});
