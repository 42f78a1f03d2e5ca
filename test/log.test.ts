import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CENSOR, createLogger, MAX_DEPTH, redactSecrets } from '../src/log.js';

/** A logger writing to memory, and the JSON lines it wrote. */
function capture() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const log = createLogger({ level: 'debug' }, sink);
  return { log, lines, text: () => lines.join(''), json: () => lines.map((l) => JSON.parse(l)) };
}

const SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const SESSION_TOKEN = 'IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN';
const BOT_TOKEN = 'xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp';
const USER_TOKEN = 'xoxp-1111-2222-3333-abcdef';
const APP_TOKEN = 'xapp-1-A0APP-4444-deadbeef';
const SIGNING_SECRET = 'signing-secret-0123456789abcdef';
const RESPONSE_URL = 'https://hooks.slack.com/actions/T0TEAM/123/SeCrEtPaRt';
const ALL_SECRETS = [
  SECRET_ACCESS_KEY,
  SESSION_TOKEN,
  BOT_TOKEN,
  USER_TOKEN,
  APP_TOKEN,
  SIGNING_SECRET,
  'SeCrEtPaRt',
  'hunter2',
  'v0=abcdef',
];

function expectNoSecret(text: string) {
  for (const secret of ALL_SECRETS) expect(text).not.toContain(secret);
}

/** `leaf` nested `levels` deep: { l1: { l2: { … leaf } } } */
function nest(levels: number, leaf: Record<string, unknown>): Record<string, unknown> {
  let value = leaf;
  for (let i = levels; i >= 1; i--) value = { [`l${i}`]: value };
  return value;
}

describe('log redaction at any depth', () => {
  it('censors secret keys, in any spelling, six levels down and inside arrays', () => {
    const { log, text, json } = capture();
    const credentials = {
      AccessKeyId: 'ASIAEXAMPLE',
      SecretAccessKey: SECRET_ACCESS_KEY,
      SessionToken: SESSION_TOKEN,
    };
    log.info(
      nest(6, {
        Credentials: credentials,
        session: {
          accessKeyId: 'ASIAEXAMPLE',
          secretAccessKey: SECRET_ACCESS_KEY,
          sessionToken: SESSION_TOKEN,
        },
        slack: { botToken: 'not-a-slack-shaped-value', appToken: 'x', signingSecret: SIGNING_SECRET },
        headers: {
          authorization: 'Bearer hunter2',
          'x-slack-signature': 'v0=abcdef',
          'x-amz-security-token': SESSION_TOKEN,
        },
        users: [{ name: 'ana', password: 'hunter2' }, [{ token: 'hunter2' }]],
        kept: 'visible',
      }),
      'deep',
    );
    expectNoSecret(text());
    expect(text()).not.toContain('not-a-slack-shaped-value');
    const leaf = json()[0].l1.l2.l3.l4.l5.l6;
    expect(leaf.Credentials).toBe(CENSOR);
    expect(leaf.session).toEqual({
      accessKeyId: 'ASIAEXAMPLE',
      secretAccessKey: CENSOR,
      sessionToken: CENSOR,
    });
    expect(leaf.slack).toEqual({ botToken: CENSOR, appToken: CENSOR, signingSecret: CENSOR });
    expect(leaf.headers).toEqual({
      authorization: CENSOR,
      'x-slack-signature': CENSOR,
      'x-amz-security-token': CENSOR,
    });
    expect(leaf.users).toEqual([{ name: 'ana', password: CENSOR }, [{ token: CENSOR }]]);
    expect(leaf.kept).toBe('visible');
  });

  it('keeps what says whether a credential exists, and the access key ids CloudTrail needs', () => {
    const { log, json } = capture();
    log.info(
      { remaining: { password: true, accessKeys: false }, token: null, rootSessionAccessKeyId: 'ASIAROOT' },
      'x',
    );
    expect(json()[0]).toMatchObject({
      remaining: { password: true, accessKeys: false },
      token: null,
      rootSessionAccessKeyId: 'ASIAROOT',
    });
  });

  it('censors Slack tokens and hook URLs wherever they are: values, messages, interpolations, bindings', () => {
    const { log, text, json } = capture();
    const child = log.child({
      component: 'bolt',
      client: { options: { headers: { auth: `Bearer ${BOT_TOKEN}` } } },
    });
    child.warn(
      { deep: nest(7, { note: `used ${USER_TOKEN} and ${APP_TOKEN}` }) },
      `posting with ${BOT_TOKEN}`,
    );
    child.info('reply to %s with %j', RESPONSE_URL, { url: RESPONSE_URL, list: [APP_TOKEN] });
    child.info('signed with %j', { signingSecret: SIGNING_SECRET, headers: { Authorization: 'hunter2' } });
    expectNoSecret(text());
    const [first, second] = json();
    expect(first.msg).toBe(`posting with ${CENSOR}`);
    expect(first.client.options.headers.auth).toBe(`Bearer ${CENSOR}`);
    expect(JSON.stringify(first.deep)).toContain(`used ${CENSOR} and ${CENSOR}`);
    expect(second.msg).toContain(`reply to ${CENSOR} with`);
  });

  it('censors secrets carried by errors: message, stack, fields and causes', () => {
    const { log, text, json } = capture();
    const cause = Object.assign(new Error(`token ${BOT_TOKEN} was revoked`), {
      response: { headers: { authorization: 'Bearer hunter2' } },
    });
    const error = Object.assign(new Error(`call failed for ${APP_TOKEN}`, { cause }), {
      code: 'slack_webapi_platform_error',
      config: nest(5, { credentials: { secretAccessKey: SECRET_ACCESS_KEY } }),
    });
    log.error({ err: error }, 'Slack listener failed');
    log.error(error);
    log.warn({ nested: nest(5, { failure: { error: { SessionToken: SESSION_TOKEN } } }) }, 'x');
    expectNoSecret(text());
    const [withKey, bare] = json();
    for (const line of [withKey, bare]) {
      expect(line.err.type).toBe('Error');
      expect(line.err.message).toContain(`call failed for ${CENSOR}`);
      expect(line.err.code).toBe('slack_webapi_platform_error');
      expect(line.err.stack).toContain('log.test.ts');
    }
    expect(bare.msg).toBe(`call failed for ${CENSOR}`);
  });

  it('survives cycles and cuts what is too deep to look at', () => {
    const { log, text, json } = capture();
    const cyclic: Record<string, unknown> = { name: 'a', token: 'hunter2' };
    cyclic.self = cyclic;
    cyclic.list = [cyclic, { password: 'hunter2' }];
    log.info({ cyclic }, 'cycle');
    log.info(nest(MAX_DEPTH + 5, { password: 'hunter2', note: BOT_TOKEN }), 'too deep');
    expectNoSecret(text());
    expect(json()[0].cyclic.name).toBe('a');
    expect(text()).toContain('[too deep]');
  });
});

describe('redactSecrets on live objects', () => {
  it('cuts cycles, bounds depth, and turns errors into their message, stack, fields and cause', () => {
    const cyclic: Record<string, unknown> = { secret: 'hunter2' };
    cyclic.again = { back: cyclic };
    expect(redactSecrets(cyclic)).toEqual({ secret: CENSOR, again: { back: '[circular]' } });
    // The same object twice, side by side, is no cycle.
    const shared = { a: 1 };
    expect(redactSecrets({ x: shared, y: [shared] })).toEqual({ x: { a: 1 }, y: [{ a: 1 }] });

    const deep = redactSecrets(nest(MAX_DEPTH + 1, { password: 'hunter2' }));
    expect(JSON.stringify(deep)).not.toContain('hunter2');
    expect(JSON.stringify(deep)).toContain('[too deep]');

    const error = new Error(`bad ${BOT_TOKEN}`, {
      cause: new AggregateError([new Error('inner')], 'many', {}),
    });
    const plain = redactSecrets({ failure: Object.assign(error, { Credentials: { a: 1 } }) }) as {
      failure: Record<string, unknown>;
    };
    expect(plain.failure).toMatchObject({
      type: 'Error',
      message: `bad ${CENSOR}`,
      Credentials: CENSOR,
      cause: { type: 'AggregateError', message: 'many', errors: [{ type: 'Error', message: 'inner' }] },
    });
    expect(String(plain.failure.stack)).not.toContain(BOT_TOKEN);
    expect(redactSecrets({ when: new Date(0), bytes: Buffer.from('hunter2') })).toEqual({
      when: '1970-01-01T00:00:00.000Z',
      bytes: '[7 bytes]',
    });
  });
});
