/**
 * Slack needs each ack within 3 s; the work after an ack (messages, database,
 * AWS) does not. Under a burst, listeners wait here after acking, and resume one
 * per event-loop turn, so the requests that arrive in between are acked first.
 */
const waiting: (() => void)[] = [];
let pumping = false;

export function afterPendingAcks(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    if (!pumping) {
      pumping = true;
      setImmediate(pump);
    }
  });
}

function pump(): void {
  waiting.shift()?.();
  if (waiting.length > 0) setImmediate(pump);
  else pumping = false;
}
