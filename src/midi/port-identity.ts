/**
 * Where a MIDI port physically is: two identical controllers have the same
 * port name, and differ only in the USB socket they are plugged into (and in
 * their serial number, where the device reports one). On Linux:
 *
 *   "Launchkey Mini:Launchkey Mini MIDI 1 24:0"   RtMidi's port name; 24 is the ALSA sequencer client
 *   /proc/asound/seq/clients                       "Client  24 : "Launchkey Mini" [Kernel]" (newer kernels add "card=2")
 *   kernel clients of card N are 16 + 4N .. 16 + 4N + 3 (the sequencer's fixed numbering)
 *   /sys/class/sound/cardN/device -> .../usb1/1-1/1-1.2/1-1.2:1.0   the USB interface; "1-1.2" is the port path
 *   .../1-1.2/serial                               the device's serial, when it has one
 *
 * Reads are synchronous and tiny (procfs/sysfs), done once per newly seen port.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface PortIdentity {
  /** ALSA sequencer client:port of the port ("24:0"). */
  readonly client: number;
  readonly port: number;
  /** Sound card number, when the client belongs to a card. */
  readonly card?: number;
  /** USB port path ("1-1.2": bus 1, root port 1, hub port 2), when the card is a USB device. */
  readonly usbPath?: string;
  readonly serial?: string;
}

/** Finds a port's identity; the real one reads /proc and /sys, the fake backend scripts them. */
export interface PortIdentifier {
  identify(portName: string): PortIdentity | undefined;
}

const SUFFIX = /\s(\d+):(\d+)$/;
/** Sequencer clients per card, and where card clients start (sound/core/seq: SNDRV_SEQ_GLOBAL_CLIENTS). */
const CLIENTS_PER_CARD = 4;
const FIRST_CARD_CLIENT = 16;

/** "Name 24:0" -> { client: 24, port: 0 }; undefined without an ALSA suffix. */
export function parsePortAddress(portName: string): { client: number; port: number } | undefined {
  const m = SUFFIX.exec(portName);
  return m === null ? undefined : { client: Number(m[1]), port: Number(m[2]) };
}

/**
 * The card of a sequencer client from /proc/asound/seq/clients: an explicit
 * "card=N" where the kernel prints one, else the fixed numbering of kernel
 * clients. User-space clients (a soft synth, our own virtual ports) have none.
 */
export function cardOfClient(clientsFile: string, client: number): number | undefined {
  const line = clientsFile.split('\n').find((l) => new RegExp(`^Client\\s+${client}\\s*:`).test(l));
  if (line === undefined || !/\[Kernel/.test(line)) return undefined;
  const explicit = /card=(\d+)/.exec(line);
  if (explicit !== null) return Number(explicit[1]);
  return client >= FIRST_CARD_CLIENT ? Math.floor((client - FIRST_CARD_CLIENT) / CLIENTS_PER_CARD) : undefined;
}

/** "…/usb1/1-1/1-1.2/1-1.2:1.0" -> "1-1.2" (the interface's device); undefined when the path is not USB. */
export function usbPathOf(deviceLink: string): string | undefined {
  const iface = basename(deviceLink);
  const m = /^(\d+-[\d.]+):\d+\.\d+$/.exec(iface);
  return m?.[1];
}

/** Reads identities from a Linux root (tests pass a fixture tree modelled on a Pi's /proc and /sys). */
export class SysfsPortIdentifier implements PortIdentifier {
  readonly #root: string;

  constructor(root = '/') {
    this.#root = root;
  }

  identify(portName: string): PortIdentity | undefined {
    const address = parsePortAddress(portName);
    if (address === undefined) return undefined;
    const clients = this.#read('proc/asound/seq/clients');
    const card = clients === undefined ? undefined : cardOfClient(clients, address.client);
    if (card === undefined) return address;
    const cardDir = join(this.#root, 'sys/class/sound', `card${card}`);
    let iface: string;
    try {
      // cardN and its device are relative symlinks into /sys/devices: follow them for real.
      iface = realpathSync(join(cardDir, 'device'));
    } catch {
      return { ...address, card };
    }
    const usbPath = usbPathOf(iface);
    if (usbPath === undefined) return { ...address, card };
    const serial = this.#readAbs(join(dirname(iface), 'serial'))?.trim();
    return { ...address, card, usbPath, ...(serial === undefined || serial === '' ? {} : { serial }) };
  }

  #read(rel: string): string | undefined {
    return this.#readAbs(join(this.#root, rel));
  }

  #readAbs(path: string): string | undefined {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  }
}

/** How `midimon devices` and the logs show where a port is. */
export function describeIdentity(id: PortIdentity | undefined): string {
  if (id === undefined) return '';
  const parts = [`client ${id.client}:${id.port}`];
  if (id.card !== undefined) parts.push(`card ${id.card}`);
  if (id.usbPath !== undefined) parts.push(`usb ${id.usbPath}`);
  if (id.serial !== undefined) parts.push(`serial ${id.serial}`);
  return parts.join(', ');
}
