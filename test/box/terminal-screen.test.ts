// The terminal OLED: pure renderers (frame -> lines, layout -> escape
// sequences), the TTY / non-TTY choice, and the screen that draws in place.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { Framebuffer } from '../../src/display/framebuffer.js';
import { drawText } from '../../src/display/layout.js';
import { chooseLayout, drawRegion, enterScreen, framebufferToBraille, framebufferToHalfBlocks, leaveScreen, regionHeight, regionLines, TerminalScreen } from '../../src/box/terminal-screen.js';

test('half blocks: one column per pixel, two pixel rows per line, each pair drawn as it is', () => {
  const fb = new Framebuffer(4, 8);
  fb.set(0, 0, true); // top only
  fb.set(1, 1, true); // bottom only
  fb.set(2, 0, true); // both
  fb.set(2, 1, true);
  fb.set(3, 3, true);
  assert.deepEqual(framebufferToHalfBlocks(fb), ['\u2580\u2584\u2588 ', '   \u2584', '    ', '    ']);
  const oled = new Framebuffer(128, 64);
  const lines = framebufferToHalfBlocks(oled);
  assert.equal(lines.length, 32);
  assert.ok(lines.every((l) => Array.from(l).length === 128));
});

test('the small font reads: text drawn on the frame shows up as its glyph rows', () => {
  const fb = new Framebuffer(128, 64);
  drawText(fb, 0, 0, 'T');
  // The 5x8 "T": a bar on row 0, the stem in the middle column down to row 6.
  assert.deepEqual(
    framebufferToHalfBlocks(fb).slice(0, 4).map((l) => l.slice(0, 5)),
    ['\u2580\u2580\u2588\u2580\u2580', '  \u2588  ', '  \u2588  ', '  \u2580  '],
  );
  assert.equal(framebufferToBraille(fb).length, 16, 'braille: 4 pixel rows a line');
});

test('layout: not a terminal or --no-oled is plain; a big terminal gets half blocks, a small one braille, a tiny one plain', () => {
  const t = { isTTY: true, noOled: false, columns: 140, rows: 50, legendLines: 4 };
  assert.equal(chooseLayout({ ...t, isTTY: false }).kind, 'plain');
  assert.equal(chooseLayout({ ...t, noOled: true }).kind, 'plain');
  assert.deepEqual(chooseLayout(t), { kind: 'screen', art: 'half-blocks', legend: true, columns: 140, rows: 50 });
  assert.equal(regionHeight('half-blocks', 4), 38);
  assert.deepEqual(chooseLayout({ ...t, rows: 42 }), { kind: 'screen', art: 'braille', legend: true, columns: 140, rows: 42 }, 'half blocks need 38 + 5 log rows');
  assert.deepEqual(chooseLayout({ ...t, columns: 80, rows: 24 }), { kind: 'screen', art: 'braille', legend: false, columns: 80, rows: 24 }, '80x24: braille, the legend goes to the log');
  const tiny = chooseLayout({ ...t, columns: 60, rows: 20 });
  assert.equal(tiny.kind, 'plain');
  assert.match(tiny.kind === 'plain' ? tiny.reason : '', /too small.*66x24/);
});

test('region: framed art, legend and status, every line cut to the terminal width; drawn with save/position/restore', () => {
  const fb = new Framebuffer(128, 64);
  const layout = { kind: 'screen', art: 'half-blocks', legend: true, columns: 131, rows: 50 } as const;
  const lines = regionLines(fb, layout, ['legend one', 'x'.repeat(200)], 'status');
  assert.equal(lines.length, regionHeight('half-blocks', 3));
  assert.match(lines[0] ?? '', /^\u250c\u2500 OLED \u2500+\u2510$/);
  assert.equal(Array.from(lines[0] ?? '').length, 130);
  assert.equal(lines.at(-1), 'status');
  assert.equal(Array.from(lines.at(-2) ?? '').length, 131, 'a long legend line is cut to the width');
  assert.ok((lines.at(-2) ?? '').endsWith('\u2026'));
  assert.match(regionLines(null, layout, [], 's')[0] ?? '', /no display configured/);
  assert.equal(drawRegion(['a', 'b']), '\u001b7\u001b[1;1Ha\u001b[K\u001b[2;1Hb\u001b[K\u001b8');
  assert.ok(enterScreen(38, 50).endsWith('\u001b[2J\u001b[39;50r\u001b[50;1H'), 'the log scrolls below the region');
  assert.equal(leaveScreen(50), '\u001b[r\u001b[50;1H\n');
});

function sink(tty: boolean) {
  let text = '';
  const out = Object.assign(
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        text += chunk.toString();
        cb();
      },
    }),
    { isTTY: tty, columns: 140, rows: 50 },
  );
  return { out, text: () => text };
}

test('a terminal gets the region drawn in place, redrawn only on change, and the scroll region reset on stop', () => {
  const { out, text } = sink(true);
  let frame = new Framebuffer(128, 64);
  const screen = new TerminalScreen({ out, noOled: false, frame: () => frame, legend: () => ['keys here'], status: () => 'plays as keys', pollMs: 60_000 });
  screen.start();
  assert.match(text(), /\u001b\[2J\u001b\[37;50r/, 'clears, then scrolls only below the 37-row region');
  assert.match(text(), /keys here/);
  const after = text().length;
  screen.draw();
  assert.equal(text().length, after, 'nothing changed: nothing written');
  frame = new Framebuffer(128, 64);
  frame.fillRect(0, 0, 128, 2, true);
  screen.draw();
  assert.ok(text().slice(after).includes('\u2588'.repeat(128)), 'the new frame is drawn');
  assert.ok(text().slice(after).startsWith('\u001b7'), 'in place: cursor saved first');
  screen.stop();
  assert.ok(text().endsWith('\u001b[r\u001b[50;1H\n'));
});

test('not a terminal: no escape sequence is ever written', () => {
  const { out, text } = sink(false);
  const fb = new Framebuffer(128, 64);
  fb.fillRect(0, 0, 128, 64, true);
  const screen = new TerminalScreen({ out, noOled: false, frame: () => fb, legend: () => ['k'], status: () => 's', pollMs: 60_000 });
  screen.start();
  screen.draw();
  screen.stop();
  assert.equal(screen.layout.kind, 'plain');
  assert.equal(text(), '');
});
