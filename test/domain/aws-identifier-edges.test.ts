/** Edges of the identifier checks: anchors, lengths, reserved names, and the one-line reasons. */
import { describe, expect, it } from 'vitest';
import { checkAccountId, checkBucketName, checkQueueUrl } from '../../src/domain/aws-identifiers.js';

const ACCOUNT = '123456789012';
const queue = (name: string, host = 'sqs.us-east-1.amazonaws.com') => `https://${host}/${ACCOUNT}/${name}`;

describe('checkAccountId', () => {
  it.each(['1234567890123', 'a123456789012', '123456789012a', '12345678901x', '１２３４５６７８９０１２'])(
    'refuses %j',
    (input) => expect(checkAccountId(input).ok).toBe(false),
  );

  it('says why in one short line, whatever was pasted', () => {
    expect(checkAccountId('  12\n\n 345  ')).toEqual({
      ok: false,
      reason: '"12 345" is not an AWS account id: use the 12 digits, e.g. 123456789012',
    });
    const exact = checkAccountId('x'.repeat(80));
    expect(!exact.ok && exact.reason).toBe(
      `"${'x'.repeat(80)}" is not an AWS account id: use the 12 digits, e.g. 123456789012`,
    );
    const clipped = checkAccountId('x'.repeat(81));
    expect(!clipped.ok && clipped.reason).toBe(
      `"${'x'.repeat(77)}..." is not an AWS account id: use the 12 digits, e.g. 123456789012`,
    );
  });
});

describe('checkBucketName', () => {
  it.each(['abc', 'a'.repeat(63), ' my-bucket ', 'x192.168.1.1', '192.168.1.1x', 'my.bucket-1'])(
    'accepts %j',
    (b) => expect(checkBucketName(b)).toEqual({ ok: true, value: b.trim() }),
  );

  it.each([
    ['ab', 'it must be 3 to 63 characters long'],
    ['a'.repeat(64), 'it must be 3 to 63 characters long'],
    ['-abc', 'use lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit'],
    ['abc-', 'use lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit'],
    ['.abc', 'use lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit'],
    ['ab..c', 'it must not contain two dots in a row'],
    ['10.0.0.1', 'it must not look like an IP address'],
    ['xn--bucket', 'that prefix is reserved by AWS'],
    ['sthree-bucket', 'that prefix is reserved by AWS'],
    ['bucket-s3alias', 'that suffix is reserved by AWS'],
    ['bucket--ol-s3', 'that suffix is reserved by AWS'],
  ])('refuses %j: %s', (input, why) => {
    expect(checkBucketName(input)).toEqual({
      ok: false,
      reason: `"${input}" is not a valid S3 bucket name: ${why}`,
    });
  });
});

describe('checkQueueUrl', () => {
  it.each<[string, string, string?]>([
    ['a 80-character name', 'q'.repeat(80)],
    ['a FIFO name of 75 characters and .fifo', `${'q'.repeat(75)}.fifo`],
    ['a region with a two-digit number', 'q', 'sqs.cn-northwest-12.amazonaws.com.cn'],
  ])('accepts %s', (_what, name, host) => {
    expect(checkQueueUrl(queue(name, host)).ok).toBe(true);
  });

  it.each([
    ['an 81-character name', queue('q'.repeat(81))],
    ['a FIFO name of 76 characters and .fifo', queue(`${'q'.repeat(76)}.fifo`)],
    ['a name with other characters', queue('bad!name')],
    ['a FIFO name with other characters', queue('bad!q.fifo')],
    ['a name running on after .fifo', queue('q.fifox')],
    ['a China host behind a prefix', queue('q', 'xsqs.cn-north-1.amazonaws.com.cn')],
    ['a China host before a suffix', queue('q', 'sqs.cn-north-1.amazonaws.com.cn.evil.com')],
  ])('refuses %s', (_what, url) => {
    expect(checkQueueUrl(url).ok).toBe(false);
  });

  it('quotes what was typed, trimmed, in its reason', () => {
    expect(checkQueueUrl('  not a url  ')).toEqual({
      ok: false,
      reason:
        '"not a url" is not an SQS queue URL: expected https://sqs.<region>.amazonaws.com/<account-id>/<queue-name>',
    });
  });
});
