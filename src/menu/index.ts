// The menu's public surface for the composition root.
export { reduceMenu, menuView, isMenuOpen, menuTimeoutIn, DEFAULT_MENU_TIMEOUT_MS } from './menu-machine.js';
export { CLOSED_MENU } from './menu-types.js';
export type { MenuState, MenuInput, MenuInputType, MenuEffect, MenuOptions, MenuResult, MenuFrame, PageId, ConfirmSpec, MenuLearnChoice } from './menu-types.js';
export type { MenuContext, MenuPlugin, MenuDevice, MenuError, MenuSystemInfo, MenuUsb, MenuTempo, MenuSetlist, MenuLearn, MenuMidiLine } from './menu-context.js';
export type { MenuView, MenuListItem } from './menu-view.js';
