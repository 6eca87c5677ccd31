import { Framebuffer } from '../framebuffer.js';
import { charsThatFit, drawText, ellipsize, textRow, textWidth, wrapText } from '../layout.js';
import { tempoText, type StatusSong, type StatusView } from '../view-models.js';

/** Running plugins show just their name; anything else gets a tag. */
const PLUGIN_TAG: Readonly<Record<string, string>> = { running: '', disabled: ':off', error: ':ERR', loading: ':..' };
const SEVERITY_LABEL = { error: 'ERR', warning: 'WARN', info: 'INFO' } as const;

/**
 * The screen a player glances at: the mode (large, always visible), then MIDI
 * devices, the last trigger and plugin health; a problem is a banner at the
 * bottom (solid for errors, framed for warnings) that goes away when resolved.
 */
export function renderStatus(view: StatusView, width = 128, height = 64): Framebuffer {
  const fb = new Framebuffer(width, height);
  drawModeHeader(fb, view);
  const ins = view.devices.filter((d) => d.connected && d.direction !== 'out').map((d) => d.name);
  const outs = view.devices.filter((d) => d.connected && d.direction !== 'in').map((d) => d.name);
  const inLine = `In: ${ins.length === 0 ? '-' : ins.join(', ')}`;
  const outLine = `Out: ${outs.length === 0 ? '-' : outs.join(', ')}`;
  const lastLine = `Last: ${view.lastTrigger ?? '-'}`;
  const plugLine = `Plug: ${view.plugins.length === 0 ? '-' : view.plugins.map((p) => `${p.name}${PLUGIN_TAG[p.state] ?? `:${p.state}`}`).join(' ')}`;
  const tall = height >= 64;
  // With a setlist a song row leads (next song, and the mode): five rows at pitch 9 on 128x64,
  // and on 128x32 it takes the place of the Last row.
  const song = view.song === undefined ? undefined : songRow(view.song, view.mode.name);
  const base = tall ? [inLine, outLine, lastLine, plugLine] : [inLine, lastLine];
  const rows = song === undefined ? base : tall ? [song.left, ...base] : [song.left, inLine];
  // On 128x64 the banner covers the plugin row; on 128x32 both rows (the mode stays visible).
  const visibleRows = view.banner === undefined ? rows.length : tall ? 3 : 0;
  // Without a banner the four rows get air (pitch 11); with one they close up above it.
  const pitch = !tall ? 8 : view.banner === undefined && song === undefined ? 11 : 9;
  // Tempo sits at the right of the Out row (In on 128x32); the beat number flashes inverted on each downbeat.
  const tempoRow = view.tempo === undefined ? -1 : (tall ? 1 : 0) + (song === undefined ? 0 : 1);
  rows.slice(0, visibleRows).forEach((text, i) => {
    const y = (tall ? 18 : 16) + i * pitch;
    if (song !== undefined && i === 0) return textRow(fb, y, text, song.right, false, 0);
    if (i !== tempoRow || view.tempo === undefined) return textRow(fb, y, text, '', false, 0);
    const right = tempoText(view.tempo);
    textRow(fb, y, text, right, false, 0);
    if (view.tempo.running && view.tempo.beat === 1 && !(view.tempo.external && !view.tempo.locked)) {
      const w = textWidth('1');
      fb.fillRect(fb.width - w - 1, y - 1, w + 1, 9, true);
      drawText(fb, fb.width - w, y, '1', { inverse: true });
    }
  });
  if (view.banner !== undefined) drawBanner(fb, tall ? height - 18 : 16, tall ? 2 : 1, view.banner.severity, view.banner.text);
  return fb;
}

/**
 * The song row: while the song's mode is current, the next song and the mode
 * (the song itself is the header); otherwise where the setlist stands.
 */
function songRow(song: StatusSong, mode: string): { left: string; right: string } {
  const at = `${song.position ?? '-'}/${song.count}`;
  if (song.active && song.name !== null) return { left: `Next: ${song.next ?? '(end)'}`, right: mode };
  if (song.position === null) return { left: `Next: ${song.next ?? '-'}`, right: `song ${at}` };
  return { left: `Song ${at} ${song.name ?? ''}`, right: '' };
}

function drawModeHeader(fb: Framebuffer, view: StatusView): void {
  // The current song, when its mode is current: its number and name take the large header.
  const song = view.song?.active === true && view.song.name !== null && view.song.position !== null ? view.song : undefined;
  const num = String(song?.position ?? view.mode.index);
  const count = `/${song?.count ?? view.mode.count}`;
  const boxW = textWidth(num, 2) + textWidth(count) + 6;
  fb.fillRect(0, 0, boxW, 16, true);
  drawText(fb, 2, 0, num, { scale: 2, inverse: true });
  drawText(fb, 2 + textWidth(num, 2) + 2, 8, count, { inverse: true });
  const x = boxW + 4;
  const room = fb.width - x;
  const name = song?.name ?? view.mode.name;
  if (textWidth(name, 2) <= room) {
    drawText(fb, x, 0, name, { scale: 2 });
    return;
  }
  // Too long for the large font: two lines of the small one beat a cut-off name.
  const lines = wrapText(name, charsThatFit(room));
  drawText(fb, x, 0, lines[0] ?? '', { maxWidth: room });
  if (lines.length > 1) drawText(fb, x, 8, ellipsize(lines.slice(1).join(' '), charsThatFit(room)));
}

function drawBanner(fb: Framebuffer, y: number, maxLines: number, severity: keyof typeof SEVERITY_LABEL, text: string): void {
  const h = fb.height - y;
  const solid = severity === 'error';
  fb.fillRect(0, y, fb.width, h, false);
  if (solid) fb.fillRect(0, y, fb.width, h, true);
  else if (severity === 'warning') fb.rect(0, y, fb.width, h, true);
  else fb.hline(0, y, fb.width, true);
  const label = SEVERITY_LABEL[severity];
  const labelW = textWidth(label);
  // The severity tag is a box of its own (inverted relative to the banner) so it reads at a glance.
  fb.fillRect(1, y + 1, labelW + 4, h - 2, !solid);
  drawText(fb, 3, y + Math.floor((h - 8) / 2), label, { inverse: !solid });
  const x = labelW + 8;
  const chars = charsThatFit(fb.width - x - 2);
  const lines = wrapText(text, chars);
  const shown = lines.length > maxLines ? [...lines.slice(0, maxLines - 1), ellipsize(lines.slice(maxLines - 1).join(' '), chars)] : lines;
  const top = y + Math.floor((h - (shown.length * 9 - 1)) / 2);
  shown.forEach((line, i) => drawText(fb, x, top + i * 9, line, { inverse: solid }));
}
