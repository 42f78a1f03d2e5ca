import type { OrganizationDirectory } from '../aws/organization.js';
import type { Logger } from '../log.js';
import type { Authorizer, RootTasks } from '../workflow/ports.js';
import type { BreakglassWorkflow } from '../workflow/workflow.js';
import type { Doctor } from './doctor/doctor.js';

/** What the Slack listeners call. They stay thin: parse, ack, call, reply. */
export interface SlackDeps {
  workflow: BreakglassWorkflow;
  people: Authorizer;
  organization: OrganizationDirectory;
  tasks: RootTasks;
  log: Logger;
  /**
   * Runs AWS work started from a listener (after its ack) with bounded
   * concurrency, so a burst of commands queues instead of flooding memory and
   * the event loop that must keep acking within 3 s.
   */
  limitAws: <T>(work: () => Promise<T>) => Promise<T>;
  /** `/breakglass doctor`, and its last result on the App Home (absent: neither) */
  doctor?: Doctor;
}

/** Answers within Slack's 3-second deadline even when the work behind it is slow. */
export async function withDeadline<T>(work: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
