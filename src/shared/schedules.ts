import { z } from 'zod';
import type { SerializedError } from './errors.js';
import { EXPORT_FORMATS } from './export.js';
import { request, returns } from './channel.js';

/** Longest schedule period: a week (keeps one timer under setTimeout's 24.8-day ceiling). */
export const MAX_EXPORT_EVERY_HOURS = 168;

// Absolute on POSIX (`/x`), Windows (`C:\x`, `C:/x`) or UNC (`\\server\share`). Checked here
// without node:path so the renderer can validate the form with the same schema.
const ABSOLUTE_PATH = /^(\/|[A-Za-z]:[\\/]|\\\\)/;

export const scheduledExportSchema = z
  .object({
    enabled: z.boolean().default(false),
    format: z.enum(EXPORT_FORMATS).default('xlsx'),
    /** Absolute folder the exports go to; required when enabled. */
    folder: z.string().max(4096).default(''),
    everyHours: z.number().int().min(1).max(MAX_EXPORT_EVERY_HOURS).default(24),
    /** How many of its own files the schedule keeps; older ones are deleted. */
    keep: z.number().int().min(1).max(1000).default(7),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.enabled && !ABSOLUTE_PATH.test(v.folder)) {
      ctx.addIssue({
        code: 'custom',
        path: ['folder'],
        message: 'Choose an absolute folder for scheduled exports',
      });
    }
  });

export const scheduleSettingsSchema = z
  .object({
    export: scheduledExportSchema.prefault({}),
    snapshots: z
      .object({
        /** Save a snapshot when a full sync starts (before its write lands). */
        beforeSync: z.boolean().default(false),
        /** Save a snapshot after each successful full sync. */
        afterSync: z.boolean().default(false),
        /** Sync snapshots kept (before and after together); older ones are deleted. */
        keep: z.number().int().min(1).max(1000).default(20),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type ScheduleSettingsInput = z.input<typeof scheduleSettingsSchema>;
export type ScheduleSettings = z.output<typeof scheduleSettingsSchema>;

export const DEFAULT_SCHEDULE_SETTINGS: ScheduleSettings = scheduleSettingsSchema.parse({});

/** The outcome of the last scheduled export. */
export interface ScheduledExportRun {
  readonly at: string;
  readonly file: string | null;
  readonly error: SerializedError | null;
}

export interface ScheduleState {
  readonly settings: ScheduleSettings;
  readonly lastExport: ScheduledExportRun | null;
  /** When the next export is due while the service runs; null when off or not started. */
  readonly nextExportAt: string | null;
}

/** The schedules' slice of the contract. */
export const scheduleChannels = {
  'schedules:get': request(z.object({}).strict(), returns<ScheduleState>()),
  'schedules:set': request(scheduleSettingsSchema, returns<ScheduleState>()),
};
