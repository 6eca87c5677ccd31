#!/usr/bin/env node
// The `midimon` command (over SSH, or `npm run midimon -- ...` in a checkout).
import { loadEntry } from './load-entry.js';

await loadEntry('cli/bin');
