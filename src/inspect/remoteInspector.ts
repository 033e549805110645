import { createInspector, type StatelyInspectionEvent } from '@statelyai/inspect';
import type { InspectionEvent } from 'xstate';
import WebSocket from 'ws';
import { AutopackError } from '../model/errors.js';

export interface RemoteInspector {
  inspect: (event: InspectionEvent) => void;
  /** Sends what is still queued (waiting up to `timeoutMs` for the connection), then disconnects. */
  close(timeoutMs?: number): Promise<void>;
}

/**
 * JSON for the wire: long strings (whole files, prompts) cut, since Stately's viewer needs only their
 * shape, and repeated references (actor refs) written once.
 */
function toWire(event: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(event, (_key, value: unknown) => {
    if (typeof value === 'string' && value.length > 2_000) return `${value.slice(0, 2_000)}… (${value.length} chars)`;
    if (typeof value === 'object' && value !== null) {
      if (seen.has(value)) return '[circular]';
      seen.add(value);
    }
    return value;
  });
}

/**
 * Streams the run's XState inspection events, in `@statelyai/inspect`'s protocol, to a WebSocket URL
 * (e.g. a Stately inspector session). Events wait in order until the socket opens; a socket that
 * cannot connect costs the run nothing.
 */
export function connectRemoteInspector(url: string): RemoteInspector {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AutopackError('INPUT_INVALID', `--inspect ${url}: not a URL; expected ws://host:port or wss://…`);
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new AutopackError('INPUT_INVALID', `--inspect ${url}: expected a ws:// or wss:// URL`);
  }
  const queue: string[] = [];
  const socket = new WebSocket(url);
  let open = false;
  let failed = false;
  const opened = new Promise<void>((resolve) => {
    socket.on('open', () => {
      open = true;
      for (const message of queue.splice(0)) socket.send(message);
      resolve();
    });
    socket.on('error', () => {
      failed = true;
      resolve();
    });
  });
  const inspector = createInspector({
    send(event: StatelyInspectionEvent) {
      const message = toWire(event);
      if (open) socket.send(message);
      else if (!failed) queue.push(message);
    },
  });
  return {
    inspect: (event) => inspector.inspect.next?.(event),
    async close(timeoutMs = 2_000) {
      // The inspector converts events on an idle callback: let the last ones through first.
      await new Promise((resolve) => setTimeout(resolve, 50));
      await Promise.race([opened, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
      await new Promise<void>((resolve) => {
        if (socket.readyState !== WebSocket.OPEN) return resolve();
        // Give the socket a chance to write what send() buffered.
        socket.once('close', () => resolve());
        socket.close(1000, 'run finished');
        setTimeout(resolve, timeoutMs).unref();
      });
      socket.terminate();
    },
  };
}
