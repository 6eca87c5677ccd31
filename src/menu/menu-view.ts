/** What the display draws for the menu: derived from MenuState + MenuContext by menuView(). */
export interface MenuListItem {
  readonly label: string;
  /** Right-aligned value: a state, '[x]' / '[ ]' for toggles, a count. */
  readonly value?: string;
  /** A leading marker for the current choice (the active mode). */
  readonly current?: boolean;
}

export type MenuView =
  | { readonly kind: 'list'; readonly title: string; readonly items: readonly MenuListItem[]; readonly selected: number }
  | { readonly kind: 'text'; readonly title: string; readonly lines: readonly string[]; readonly top: number }
  | {
      readonly kind: 'confirm';
      readonly title: string;
      readonly message: string;
      readonly options: readonly [cancel: string, confirm: string];
      /** 0 = cancel (the default, so a stray press never shuts the box down), 1 = confirm. */
      readonly selected: 0 | 1;
    };
