/**
 * Transfer progress for `put file` and `get file`: one cli-progress bar on stderr showing bytes,
 * files, rate and ETA. Only on a terminal: when stderr is not a TTY (scripts, CI, pipes) the
 * returned object does nothing, so output stays clean.
 *
 * Not safe for concurrent transfers sharing one instance from different processes; within a
 * process, callers may add bytes from any number of concurrent streams.
 */
import cliProgress from 'cli-progress';
import { humanDuration, humanRate, humanSize } from './format.ts';

export interface TransferTotals {
  bytes?: number;
  files?: number;
}

export interface TransferProgress {
  /** Totals, when known (a directory walk, InspectFile); without them no bar or ETA is drawn. */
  setTotals(totals: TransferTotals): void;
  addBytes(n: number): void;
  fileDone(): void;
  /** Draws the final state and releases the terminal; idempotent. */
  stop(): void;
}

export interface ProgressOptions {
  label: string;
  stream: NodeJS.WritableStream & { isTTY?: boolean };
  /** Overrides the TTY check (tests). */
  enabled?: boolean;
}

const SILENT: TransferProgress = { setTotals() {}, addBytes() {}, fileDone() {}, stop() {} };

interface State {
  bytes: number;
  files: number;
  totalBytes: number | undefined;
  totalFiles: number | undefined;
  started: number;
}

/** Renders one line; exported for tests. */
export function renderProgressLine(
  label: string,
  state: State,
  eta: number | undefined,
  now: number,
  barWidth = 24,
): string {
  const elapsed = Math.max(1, now - state.started) / 1000;
  const rate = state.bytes / elapsed;
  const parts: string[] = [];
  if (state.totalBytes !== undefined && state.totalBytes > 0) {
    const fraction = Math.min(1, state.bytes / state.totalBytes);
    const filled = Math.round(fraction * barWidth);
    parts.push(
      `${label} [${'█'.repeat(filled)}${'░'.repeat(barWidth - filled)}] ${Math.floor(fraction * 100)}%`,
    );
    parts.push(`${humanSize(state.bytes)}/${humanSize(state.totalBytes)}`);
  } else {
    parts.push(`${label} ${humanSize(state.bytes)}`);
  }
  parts.push(
    state.totalFiles !== undefined ? `${state.files}/${state.totalFiles} files` : `${state.files} files`,
  );
  parts.push(humanRate(rate));
  if (eta !== undefined && Number.isFinite(eta) && state.totalBytes && state.bytes < state.totalBytes)
    parts.push(`ETA ${humanDuration(eta * 1000)}`);
  return parts.join(' | ');
}

export function createProgress(options: ProgressOptions): TransferProgress {
  if (!(options.enabled ?? options.stream.isTTY === true)) return SILENT;
  const state: State = {
    bytes: 0,
    files: 0,
    totalBytes: undefined,
    totalFiles: undefined,
    started: Date.now(),
  };
  const bar = new cliProgress.SingleBar({
    stream: options.stream,
    hideCursor: true,
    etaBuffer: 50,
    fps: 8,
    format: (_options, params) =>
      renderProgressLine(options.label, state, state.totalBytes ? params.eta : undefined, Date.now()),
  });
  bar.start(1, 0);
  let stopped = false;
  // cli-progress computes the ETA from `value` against `total`; a 0-byte total would divide by zero.
  const push = (): void => bar.update(state.bytes);
  return {
    setTotals(totals) {
      if (totals.bytes !== undefined) {
        state.totalBytes = totals.bytes;
        bar.setTotal(Math.max(1, totals.bytes));
      }
      if (totals.files !== undefined) state.totalFiles = totals.files;
      push();
    },
    addBytes(n) {
      state.bytes += n;
      push();
    },
    fileDone() {
      state.files++;
      push();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      push();
      bar.stop();
    },
  };
}
