/**
 * `/breakglass doctor` and the start-up check: the AWS checks (src/aws/doctor.ts)
 * and the Slack checks (slack-checks.ts) in one result, kept as the last result
 * for the App Home (which renders it without calling AWS). Runs that overlap
 * share one run. Never throws: a check that cannot run is a failed check.
 */
import type { DoctorCheck, DoctorResult } from '../../domain/doctor.js';
import type { Logger } from '../../log.js';

export interface DoctorParts {
  /** the AWS checks (through the listeners' AWS limit when run from Slack) */
  aws: () => Promise<DoctorCheck[]>;
  /** the Slack checks; `homeUser` is whose Home tab to publish */
  slack: (homeUser?: string) => Promise<DoctorCheck[]>;
  log: Logger;
  now?: () => number;
}

export class Doctor {
  private lastResult: DoctorResult | undefined;
  private running: Promise<DoctorResult> | undefined;

  constructor(private readonly parts: DoctorParts) {}

  /** The last finished run, for the App Home. */
  get last(): DoctorResult | undefined {
    return this.lastResult;
  }

  /** Runs every check (or joins the run under way). */
  run(homeUser?: string): Promise<DoctorResult> {
    this.running ??= this.runOnce(homeUser).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** The start-up run: each warn or fail logged at warn, never fatal. */
  async atStartup(): Promise<DoctorResult> {
    const result = await this.run();
    for (const check of result.checks.filter((c) => c.status !== 'pass')) {
      this.parts.log.warn(
        { check: check.name, status: check.status, detail: check.detail, fix: check.fix },
        `doctor: ${check.name}: ${check.detail}`,
      );
    }
    const failed = result.checks.filter((c) => c.status === 'fail').length;
    this.parts.log.info({ checks: result.checks.length, failed }, 'doctor ran at start-up');
    return result;
  }

  private async runOnce(homeUser: string | undefined): Promise<DoctorResult> {
    const [aws, slack] = await Promise.all([
      settle('AWS checks', this.parts.aws),
      settle('Slack checks', () => this.parts.slack(homeUser)),
    ]);
    const result = { at: (this.parts.now ?? Date.now)(), checks: [...aws, ...slack] };
    this.lastResult = result;
    return result;
  }
}

async function settle(name: string, run: () => Promise<DoctorCheck[]>): Promise<DoctorCheck[]> {
  try {
    return await run();
  } catch (error) {
    return [
      {
        name,
        status: 'fail',
        detail: `could not run: ${error instanceof Error ? error.message : String(error)}`,
        fix: 'run doctor again; if it persists, read the bot log',
      },
    ];
  }
}
