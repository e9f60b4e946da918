import { useEffect, useRef } from 'react';
import type { ReactElement, ReactNode } from 'react';

interface Props {
  readonly label: string;
  readonly onClose: () => void;
  readonly children: ReactNode;
  readonly className?: string;
  /** Fixed position (a context menu at the pointer); otherwise placed by CSS under its anchor. */
  readonly at?: { x: number; y: number };
  readonly role?: 'dialog' | 'menu';
}

/** A small floating panel that closes on Escape or a click outside, and takes focus when opened. */
export function Popover({
  label,
  onClose,
  children,
  className,
  at,
  role = 'dialog',
}: Props): ReactElement {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    // Focus goes back where it was when the popover closes (the table, for its shortcuts).
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    return () => before?.focus();
  }, []);
  useEffect(() => {
    const el = ref.current;
    const first = el?.querySelector<HTMLElement>('input, button, select, [tabindex="0"]');
    (first ?? el)?.focus();
    const onDown = (e: PointerEvent): void => {
      if (el && !el.contains(e.target as Node)) onClose();
    };
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        onClose();
      }
    };
    document.addEventListener('pointerdown', onDown, true);
    document.addEventListener('keydown', onKey, true);
    return () => {
      document.removeEventListener('pointerdown', onDown, true);
      document.removeEventListener('keydown', onKey, true);
    };
  }, [onClose]);
  useEffect(() => {
    // Keep a menu opened near the window's edge inside the window.
    const el = ref.current;
    if (!el || !at) return;
    const r = el.getBoundingClientRect();
    if (r.right > window.innerWidth)
      el.style.left = `${Math.max(0, window.innerWidth - r.width - 4)}px`;
    if (r.bottom > window.innerHeight)
      el.style.top = `${Math.max(0, window.innerHeight - r.height - 4)}px`;
  }, [at]);
  return (
    <div
      ref={ref}
      role={role}
      aria-label={label}
      tabIndex={-1}
      className={`popover ${className ?? ''}`}
      style={at ? { position: 'fixed', left: at.x, top: at.y } : undefined}
      onClick={(e) => e.stopPropagation()}
    >
      {children}
    </div>
  );
}
