/**
 * SIGHUP means two things. Under systemd (`systemctl reload midimon`,
 * ExecReload) it asks for a config reload. In an interactive simulation
 * (`npm start` in a terminal) it is the terminal hanging up: closing the
 * window must end the box, or it keeps running in the background for good,
 * holding the control socket.
 */
export type HangupAction = 'reload' | 'stop';

export function hangupAction(options: { readonly simulate: boolean; readonly interactive: boolean }): HangupAction {
  return options.simulate && options.interactive ? 'stop' : 'reload';
}
