/**
 * ALSA virtual ports for the simulated box: where the ALSA sequencer exists
 * (/dev/snd/seq), simulation opens "midimon-box in" and "midimon-box out"
 * with RtMidi, so a DAW, a software synth or `aconnect`/`aplaymidi` can play
 * into the box and hear what it sends. What arrives on "in" plays as the
 * input the keyboard plays as (Tab cycles it); everything the box sends to
 * any output is copied to "out". Without a sequencer: one log line, no ports.
 */
import { access, constants } from 'node:fs/promises';
import type { Logger } from '../log.js';
import { ALSA_SEQ_DEVICE } from '../midi/rtmidi-backend.js';

export const VIRTUAL_IN = 'midimon-box in';
export const VIRTUAL_OUT = 'midimon-box out';

export interface VirtualPort {
  close(): void;
}

export interface VirtualOutput extends VirtualPort {
  send(bytes: readonly number[]): void;
}

/** Opens virtual ports (RtMidi on Linux; a fake in tests). */
export interface VirtualPortFactory {
  openInput(name: string, onMessage: (bytes: number[]) => void): VirtualPort;
  openOutput(name: string): VirtualOutput;
}

/** RtMidi's virtual ports, loaded only when the sequencer is there. */
export async function rtMidiVirtualPorts(): Promise<VirtualPortFactory> {
  const midi = await import('@julusian/midi/lazy');
  midi.verifyLibraryLoaded();
  return {
    openInput(name, onMessage) {
      const input = new midi.Input();
      try {
        // SysEx, clock and active sensing all come through: the box's own port filters decide.
        input.ignoreTypes(false, false, false);
        input.on('message', (_delta, message) => onMessage(message));
        input.openVirtualPort(name);
      } catch (err) {
        input.destroy();
        throw err;
      }
      return {
        close: () => {
          input.removeAllListeners('message');
          input.closePort();
          input.destroy();
        },
      };
    },
    openOutput(name) {
      const output = new midi.Output();
      try {
        output.openVirtualPort(name);
      } catch (err) {
        output.destroy();
        throw err;
      }
      return {
        send: (bytes) => output.sendMessage(bytes as number[]),
        close: () => {
          output.closePort();
          output.destroy();
        },
      };
    },
  };
}

export interface VirtualPortsOptions {
  readonly log: Logger;
  /** Where the virtual input's messages go (the simulated input the keyboard plays as). */
  readonly onMessage: (bytes: number[]) => void;
  /** Default: can /dev/snd/seq be opened for reading and writing. */
  readonly sequencerPresent?: () => Promise<boolean>;
  /** Default: RtMidi. */
  readonly factory?: () => Promise<VirtualPortFactory>;
}

export interface SimVirtualPorts {
  /** Copies one message the box sent to the virtual output. */
  send(bytes: readonly number[]): void;
  close(): void;
}

async function sequencerPresent(): Promise<boolean> {
  return access(ALSA_SEQ_DEVICE, constants.R_OK | constants.W_OK).then(
    () => true,
    () => false,
  );
}

/** Opens both ports, or logs why not and returns null; never throws (the simulation runs without them). */
export async function openVirtualPorts(opts: VirtualPortsOptions): Promise<SimVirtualPorts | null> {
  if (!(await (opts.sequencerPresent ?? sequencerPresent)())) {
    opts.log.info(`simulation: no ALSA sequencer (${ALSA_SEQ_DEVICE}), so no virtual MIDI ports; use 'midimon send' to play into the box`);
    return null;
  }
  let input: VirtualPort | undefined;
  try {
    const factory = await (opts.factory ?? rtMidiVirtualPorts)();
    input = factory.openInput(VIRTUAL_IN, opts.onMessage);
    const output = factory.openOutput(VIRTUAL_OUT);
    opts.log.info(`simulation: ALSA virtual ports "${VIRTUAL_IN}" and "${VIRTUAL_OUT}" are open (aconnect -l lists them)`);
    let failed = false;
    return {
      send: (bytes) => {
        try {
          output.send(bytes);
        } catch (err) {
          // Once: a closed sequencer must not flood the log at MIDI rate.
          if (!failed) opts.log.warn({ err }, `simulation: sending to "${VIRTUAL_OUT}" failed`);
          failed = true;
        }
      },
      close: () => {
        input?.close();
        output.close();
      },
    };
  } catch (err) {
    input?.close();
    opts.log.warn({ err }, `simulation: could not open the ALSA virtual ports (${(err as Error).message.split('\n')[0] ?? ''}); running without them`);
    return null;
  }
}
