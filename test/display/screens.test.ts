import { test } from 'node:test';
import assert from 'node:assert/strict';
import { glyph, hasGlyph } from '../../src/display/font.js';
import { Framebuffer } from '../../src/display/framebuffer.js';
import { drawText, ellipsize, scrollTop, wrapText } from '../../src/display/layout.js';
import { renderStatus } from '../../src/display/screens/status-screen.js';
import { renderMenu } from '../../src/display/screens/menu-screen.js';
import { DEMO_STATUS, demoMenu } from '../../src/display/demo-views.js';

test('the font covers printable ASCII with distinct glyphs', () => {
  const seen = new Map<string, string>();
  for (let c = 0x21; c < 0x7f; c++) {
    const ch = String.fromCharCode(c);
    assert.ok(hasGlyph(ch), `missing glyph for '${ch}'`);
    const key = Array.from(glyph(ch)).join(',');
    assert.ok(!seen.has(key), `'${ch}' looks exactly like '${seen.get(key)}'`);
    seen.set(key, ch);
  }
  assert.ok(hasGlyph(' '));
  assert.deepEqual(Array.from(glyph('\u00e9')), Array.from(glyph('?')), 'unknown characters render as ?');
});

test('scale 2 text is the scale 1 text with every pixel doubled', () => {
  const a = new Framebuffer(128, 32);
  const b = new Framebuffer(128, 32);
  drawText(a, 0, 0, 'Verse 2');
  drawText(b, 0, 0, 'Verse 2', { scale: 2 });
  for (let y = 0; y < 16; y++) for (let x = 0; x < 84; x++) assert.equal(b.get(x, y), a.get(x >> 1, y >> 1), `pixel ${x},${y}`);
});

test('wrapping and truncation keep within the width', () => {
  for (const line of wrapText('plugin chords: out of fuel after 1000000 instructions in process()', 21)) assert.ok(line.length <= 21, line);
  assert.equal(ellipsize('Launchkey 49', 8), 'Launchk\u2026');
  assert.equal(scrollTop(9, 12, 6, 0), 4);
  assert.equal(scrollTop(2, 12, 6, 4), 2);
});

test('a resolved banner leaves exactly the no-banner screen; errors are solid, warnings framed', () => {
  const plain = renderStatus(DEMO_STATUS);
  const err = renderStatus({ ...DEMO_STATUS, banner: { severity: 'error', text: 'Synth gone' } });
  const warn = renderStatus({ ...DEMO_STATUS, banner: { severity: 'warning', text: 'Synth gone' } });
  assert.ok(!err.equals(plain));
  assert.ok(renderStatus({ ...DEMO_STATUS }).equals(plain));
  const lit = (fb: Framebuffer, y0: number) => {
    let n = 0;
    for (let y = y0; y < fb.height; y++) for (let x = 0; x < fb.width; x++) if (fb.get(x, y)) n++;
    return n / ((fb.height - y0) * fb.width);
  };
  assert.ok(lit(err, 46) > 0.6, 'error banner is a solid bar');
  assert.ok(lit(warn, 46) < 0.4, 'warning banner is an outline');
  assert.ok(warn.get(0, 46) && warn.get(127, 63), 'warning frame corners');
});

test('the mode name is drawn large when it fits and on two small lines when it does not', () => {
  const short = renderStatus({ ...DEMO_STATUS, mode: { index: 1, name: 'Verse', count: 6 } });
  const long = renderStatus({ ...DEMO_STATUS, mode: { index: 1, name: 'Extended outro jam', count: 6 } });
  const litRows = (fb: Framebuffer) => [...Array(16).keys()].filter((y) => [...Array(96).keys()].some((x) => fb.get(31 + x, y)));
  assert.ok(litRows(short).length >= 13, 'large glyphs span ~14 rows');
  assert.ok(litRows(long).includes(8) && !litRows(long).includes(7), "second small line starts at row 8");
});

test('menu screens render at both heights, with the selected row inverted', () => {
  for (const height of [64, 32] as const) {
    const view = demoMenu(['enter', 'next']);
    const fb = renderMenu(view, 128, height);
    // Row 1 (Plugins) is selected: its background is lit at the left edge.
    assert.ok(fb.get(0, 10 + 9 + 4));
    assert.ok(!fb.get(0, 10 + 4), 'row 0 is not selected');
    renderMenu(demoMenu(['enter', 'next', 'next', 'next', 'next', 'select', 'next', 'next', 'next', 'next', 'next', 'next', 'select']), 128, height);
  }
});
