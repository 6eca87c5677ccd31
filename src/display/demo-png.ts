import { DEMO_ERROR_STATUS, DEMO_STATUS, demoMenu } from './demo-views.js';
import { framebufferToPng, type PngOptions } from './png.js';
import { renderMenu } from './screens/menu-screen.js';
import { renderStatus } from './screens/status-screen.js';
import type { Framebuffer } from './framebuffer.js';

export type DemoScreen = 'status' | 'menu' | 'error';

export function renderDemo(screen: DemoScreen, height: 64 | 32 = 64): Framebuffer {
  switch (screen) {
    case 'status':
      return renderStatus(DEMO_STATUS, 128, height);
    case 'error':
      return renderStatus(DEMO_ERROR_STATUS, 128, height);
    case 'menu':
      return renderMenu(demoMenu(), 128, height);
  }
}

export function renderDemoPng(screen: DemoScreen, height: 64 | 32, opts: PngOptions = {}): Buffer {
  return framebufferToPng(renderDemo(screen, height), opts);
}
