/** The SQLite tables' rows as better-sqlite3 returns them (column names as in the schema). */
import type { JobKind } from './store.js';

export interface RequestRow {
  body: string;
  version: number;
  message_channel: string | null;
  message_ts: string | null;
}

export interface JobRow {
  id: number;
  request_id: string;
  kind: JobKind;
  due_at: number;
  attempts: number;
}

export interface OutboxRow {
  id: number;
  request_id: string;
  delivery: string;
  status: 'pending' | 'sent' | 'failed';
  next_at: number;
  attempts: number;
  last_error: string | null;
  created_at: number;
  done_at: number | null;
}

export interface AuditRow {
  id: number;
  at: number;
  request_id: string | null;
  actor: string;
  action: string;
  details: string | null;
}
