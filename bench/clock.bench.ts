// MIDI clock timing: the internal clock at 120 BPM sends F8 to a fake output
// while the same engine takes a paced MIDI flood (5,000 msg/s; every 10th
// message a note that runs a realtime-lane plugin, which sends a note back
// through midimon.midi_send) and the status screen is drawn on every beat.
// Per tick: the interval to the previous F8 (jitter = |interval - nominal|)
// and the lateness against the grid anchored at the first F8; accumulated
// drift = the median lateness of the last 100 ticks minus that of the first 100. Run twice, side by
// side: with the scheduler's early wake-up + poll (the default) and with
// Node's timer alone (lead 0); then once idle (no flood, no plugin) to show
// what the machine itself adds. MIDIMON_CLOCK_SECONDS sets each run's length.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { engineConfigSchema } from '../src/config/mappings-schema.js';
import { renderStatus } from '../src/display/screens/status-screen.js';
import { DEMO_STATUS } from '../src/display/demo-views.js';
import { ManualScheduler } from '../src/gpio/manual-scheduler.js';
import { silentLogger } from '../src/log.js';
import { FakeMidiBackend } from '../src/midi/fake-midi-backend.js';
import { MidiDevices } from '../src/midi/midi-devices.js';
import { EngineLoop } from '../src/runtime/engine-loop.js';
import { pluginHostCaller } from '../src/runtime/ports.js';
import { tickIntervalMs } from '../src/engine/tempo.js';
import { DEFAULT_LEAD_MS } from '../src/runtime/tick-scheduler.js';
import { senderPlugin } from './engine.bench.js';
import { summarize, type Bench, type BenchFigure } from './util.js';

const IN = 'Bench Keys:Bench Keys MIDI 1 24:0';
const OUT = 'Bench Synth:Bench Synth MIDI 1 20:0';
const BPM = 120;
const FLOOD_RATE = 5000;

interface ClockRun {
  readonly jitterMs: number[];
  readonly driftMs: number;
  readonly ticks: number;
  readonly floodSent: number;
  readonly pluginNotes: number;
  readonly cpuPercent: number;
}

async function clockRun(seconds: number, leadMs: number, load = true): Promise<ClockRun | null> {
  let hostModule: typeof import('../src/plugins/host.js');
  try {
    hostModule = await import('../src/plugins/host.js');
  } catch (err) {
    console.log(`clock bench skipped: plugin host unavailable (${(err as Error).message})`);
    return null;
  }
  const stateDir = mkdtempSync(join(tmpdir(), 'midimon-clock-bench-'));
  let loop: EngineLoop | null = null;
  const host = new hostModule.PluginHost({ log: silentLogger(), stateDir, profile: 'pi', onHostCall: (name, call) => loop?.hostCall(name, call) });
  await host.start();
  const sender = await senderPlugin();
  await host.load('p', { bytes: sender.bytes }, { lane: 'realtime' });
  const scheduler = new ManualScheduler(Date.now());
  const backend = new FakeMidiBackend({ inputs: [IN], outputs: [OUT] });
  const config = engineConfigSchema.parse({
    clock: { outputs: ['Bench Synth'], bpm: BPM },
    modes: [{ name: 'M', mappings: [{ trigger: { type: 'Note', note: 60 }, action: { type: 'Plugin', plugin: 'p', action: 'go' } }] }],
    routes: [{ name: 'flood', from: 'Bench Keys', to: 'Bench Synth' }],
  });
  const devices = new MidiDevices({ backend, scheduler, log: silentLogger(), inputs: [], outputs: [], pollIntervalMs: 1000, onMessage: (e) => loop?.dispatch(e), onDevice: (e) => loop?.dispatch(e) });
  loop = new EngineLoop({ config, scheduler, midi: devices, plugins: pluginHostCaller(host), log: silentLogger(), tickLeadMs: leadMs, observer: { onTempo: (e) => void (e.cause === 'beat' && renderStatus(DEMO_STATUS)) } });
  const ticks: number[] = [];
  let pluginNotes = 0;
  let floodSent = 0;
  backend.onSend = (_port, bytes) => {
    if (bytes[0] === 0xf8) ticks.push(performance.now());
    else if (bytes[0] === 0x90 && bytes[1] === 0x3c && bytes[2] === 0x64) pluginNotes++;
  };
  loop.start();
  devices.start();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  loop.tempoCommand({ kind: 'transport', command: 'start' }, 'cli');
  // The flood: paced in 1 ms timer batches, like the engine bench's.
  await new Promise<void>((resolve) => {
    const batch = (): void => {
      const elapsed = performance.now() - t0;
      const due = Math.floor((elapsed / 1000) * FLOOD_RATE);
      while (load && floodSent < due) {
        const n = floodSent++;
        backend.inject(IN, n % 10 === 0 ? [0x90, 60, 100] : [0xb0, (n >> 7) & 0x7f, n & 0x7f]);
      }
      if (floodSent % 20_000 < 10) backend.clearSent();
      if (elapsed >= seconds * 1000) resolve();
      else setTimeout(batch, 1);
    };
    batch();
  });
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  loop.stop();
  devices.stop();
  await host.stop();
  rmSync(stateDir, { recursive: true, force: true });
  const nominal = tickIntervalMs(BPM);
  const jitterMs: number[] = [];
  for (let i = 1; i < ticks.length; i++) jitterMs.push(Math.abs((ticks[i] as number) - (ticks[i - 1] as number) - nominal));
  // Drift: where the last 100 ticks sit on the grid of the first F8 compared with the first 100 (medians, so
  // one late tick is jitter, not drift). A scheduler that adds up intervals would walk off by ms per minute.
  const first = ticks[0] as number;
  const lateness = ticks.map((t, i) => t - (first + i * nominal));
  const k = Math.min(100, Math.floor(ticks.length / 2));
  return {
    jitterMs,
    driftMs: summarize(lateness.slice(-k)).p50 - summarize(lateness.slice(0, k)).p50,
    ticks: ticks.length,
    floodSent,
    pluginNotes,
    cpuPercent: ((cpu.user + cpu.system) / 1000 / wall) * 100,
  };
}

/**
 * The machine's own floor: a bare setImmediate loop (nothing else in the process) and the pauses
 * it sees. A shared VM's hypervisor and neighbours stop the process now and then; every tick whose
 * deadline falls in such a pause is late by it, whatever the scheduler does, so a clock's p99 can
 * only be judged against this.
 */
async function machinePauses(seconds: number): Promise<{ over1msPerSecond: number; maxMs: number; pausedPct: number }> {
  return new Promise((resolve) => {
    let last = performance.now();
    const end = last + seconds * 1000;
    let over = 0;
    let paused = 0;
    let max = 0;
    const poll = (): void => {
      const now = performance.now();
      const gap = now - last;
      last = now;
      if (gap > 1) {
        over++;
        paused += gap;
      }
      max = Math.max(max, gap);
      if (now < end) setImmediate(poll);
      else resolve({ over1msPerSecond: over / seconds, maxMs: max, pausedPct: (paused / (seconds * 1000)) * 100 });
    };
    setImmediate(poll);
  });
}

export default (async () => {
  const seconds = Number(process.env['MIDIMON_CLOCK_SECONDS'] ?? 30);
  const figures: BenchFigure[] = [];
  const floor = await machinePauses(Math.min(seconds, 10));
  figures.push(
    { name: 'machine_pauses_over_1ms_per_s', value: floor.over1msPerSecond, unit: '/s', target: '(a bare setImmediate loop: what the machine itself adds)' },
    { name: 'machine_paused_pct', value: floor.pausedPct, unit: '%', target: '(time in those pauses; above ~1 %, a p99 <= 1 ms cannot be measured here)' },
    { name: 'machine_pause_max_ms', value: floor.maxMs, unit: 'ms' },
  );
  for (const [label, lead, load] of [['', DEFAULT_LEAD_MS, true], ['_timer_only', 0, true], ['_idle', DEFAULT_LEAD_MS, false]] as const) {
    const r = await clockRun(seconds, lead, load);
    if (r === null) return figures;
    const j = summarize(r.jitterMs);
    figures.push(
      { name: `clock${label}_jitter_p50_ms`, value: j.p50, unit: 'ms', target: label === '' ? '' : label === '_idle' ? '(no flood, no plugin: the machine itself)' : '(Node timer alone, same load)' },
      { name: `clock${label}_jitter_p99_ms`, value: j.p99, unit: 'ms', target: label === '' ? '<= 1' : '' },
      { name: `clock${label}_jitter_max_ms`, value: j.max, unit: 'ms' },
      { name: `clock${label}_drift_ms`, value: r.driftMs, unit: 'ms', target: label === '' ? `0 (over ${r.ticks} ticks, ${seconds} s at ${BPM} BPM)` : '' },
      { name: `clock${label}_process_cpu_pct`, value: r.cpuPercent, unit: '%', target: `(${r.ticks} ticks, flood ${r.floodSent} msgs, ${r.pluginNotes} plugin notes)` },
    );
  }
  return figures;
}) satisfies Bench;
