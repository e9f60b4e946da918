import { create } from 'zustand';

interface OverlaysState {
  readonly palette: boolean;
  readonly help: boolean;
  /** The desktop menu asked for File → Import snapshot; the History page's importer takes it. */
  readonly importRequested: boolean;
  requestImport(requested: boolean): void;
  setPalette(open: boolean): void;
  setHelp(open: boolean): void;
}

/** The command palette and the shortcuts overlay: at most one is open. */
export const useOverlays = create<OverlaysState>((set) => ({
  palette: false,
  help: false,
  importRequested: false,
  requestImport(requested) {
    set({ importRequested: requested });
  },
  setPalette(open) {
    set({ palette: open, help: false });
  },
  setHelp(open) {
    set({ help: open, palette: false });
  },
}));
