import { create } from 'zustand';

interface OverlaysState {
  readonly palette: boolean;
  readonly help: boolean;
  setPalette(open: boolean): void;
  setHelp(open: boolean): void;
}

/** The command palette and the shortcuts overlay: at most one is open. */
export const useOverlays = create<OverlaysState>((set) => ({
  palette: false,
  help: false,
  setPalette(open) {
    set({ palette: open, help: false });
  },
  setHelp(open) {
    set({ help: open, palette: false });
  },
}));
