#!/usr/bin/env node
// The service entry point (systemd ExecStart; `npm start` runs src/main.ts directly).
import { loadEntry } from './load-entry.js';

await loadEntry('main');
