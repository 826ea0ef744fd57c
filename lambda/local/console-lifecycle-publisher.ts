import type { LifecycleEvent, LifecycleEventPublisher } from '../events/lifecycle-event.js';

export interface ConsoleLifecyclePublisherProps {
  /** Where each event's line goes. */
  readonly log: (line: string) => void;
  /** How many events are kept for the control API; older ones are dropped first. @default 1000 */
  readonly keep?: number;
}

/**
 * Local mode's stand-in for the lifecycle events AWS puts on the bus: each event becomes
 * one log line, and the latest are kept so `show` can list what a run went through.
 */
export class ConsoleLifecyclePublisher implements LifecycleEventPublisher {
  private readonly log: (line: string) => void;
  private readonly keep: number;
  private readonly events: LifecycleEvent[] = [];

  public constructor(props: ConsoleLifecyclePublisherProps) {
    this.log = props.log;
    this.keep = props.keep ?? 1000;
  }

  public async publish(events: readonly LifecycleEvent[]): Promise<void> {
    for (const event of events) {
      this.events.push(event);
      this.log(formatLifecycleEvent(event));
    }
    if (this.events.length > this.keep) this.events.splice(0, this.events.length - this.keep);
  }

  /** The kept events of one run, oldest first. */
  public forRun(runId: string): LifecycleEvent[] {
    return this.events.filter((event) => event.runId === runId);
  }
}

export function formatLifecycleEvent(event: LifecycleEvent): string {
  const until = event.expiresAt ? ` until ${event.expiresAt}` : '';
  const errors = event.errors && event.errors.length > 0 ? ` errors: ${event.errors.join('; ')}` : '';
  return `lifecycle   ${event.type.padEnd(22)} run ${event.runId} by ${event.actor}${until}${errors}`;
}
