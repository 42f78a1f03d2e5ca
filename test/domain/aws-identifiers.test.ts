import { describe, expect, it } from 'vitest';
import { checkQueueUrl, isRegionName, sqsHostRegion } from '../../src/domain/aws-identifiers.js';

const ACCOUNT = '123456789012';

describe('checkQueueUrl: AWS SQS hosts only', () => {
  it.each([
    ['sqs.eu-west-1.amazonaws.com', 'eu-west-1'],
    ['sqs.us-gov-west-1.amazonaws.com', 'us-gov-west-1'],
    ['sqs.cn-north-1.amazonaws.com.cn', 'cn-north-1'],
    ['sqs-fips.us-east-2.amazonaws.com', 'us-east-2'],
    ['sqs.ap-southeast-5.api.aws', 'ap-southeast-5'],
    ['eu-central-1.queue.amazonaws.com', 'eu-central-1'],
    ['queue.amazonaws.com', 'us-east-1'],
  ])('accepts %s (region %s)', (host, region) => {
    const checked = checkQueueUrl(`https://${host}/${ACCOUNT}/orders`);
    expect(checked).toEqual({
      ok: true,
      value: { url: `https://${host}/${ACCOUNT}/orders`, accountId: ACCOUNT, name: 'orders', region },
    });
  });

  it('normalizes the URL it accepts (upper-case host, trailing slash)', () => {
    const checked = checkQueueUrl(`  HTTPS://SQS.EU-WEST-1.AMAZONAWS.COM/${ACCOUNT}/orders.fifo/ `);
    expect(checked.ok && checked.value.url).toBe(
      `https://sqs.eu-west-1.amazonaws.com/${ACCOUNT}/orders.fifo`,
    );
  });

  it.each([
    ['localhost', `https://localhost/${ACCOUNT}/q`, /"localhost" is not an AWS SQS host/],
    ['127.0.0.1', `https://127.0.0.1/${ACCOUNT}/q`, /"127.0.0.1" is not an AWS SQS host/],
    ['IPv6 loopback', `https://[::1]/${ACCOUNT}/q`, /is not an AWS SQS host/],
    ['a local port over http', `http://127.0.0.1:4566/${ACCOUNT}/q`, /must use https/],
    ['plain http to AWS', `http://sqs.us-east-1.amazonaws.com/${ACCOUNT}/q`, /must use https/],
    ['evil.com', `https://evil.com/${ACCOUNT}/q`, /"evil.com" is not an AWS SQS host/],
    [
      'an AWS name as a prefix',
      `https://sqs.us-east-1.amazonaws.com.evil.com/${ACCOUNT}/q`,
      /not an AWS SQS host/,
    ],
    [
      'an AWS name as a suffix',
      `https://evil-sqs.us-east-1.amazonaws.com/${ACCOUNT}/q`,
      /not an AWS SQS host/,
    ],
    ['a trailing dot', `https://sqs.us-east-1.amazonaws.com./${ACCOUNT}/q`, /not an AWS SQS host/],
    ['another AWS service', `https://s3.us-east-1.amazonaws.com/${ACCOUNT}/q`, /not an AWS SQS host/],
    ['a made-up region', `https://sqs.local.amazonaws.com/${ACCOUNT}/q`, /not an AWS SQS host/],
    ['userinfo', `https://user:pw@sqs.us-east-1.amazonaws.com/${ACCOUNT}/q`, /user name or password/],
    ['userinfo hiding the host', `https://sqs.us-east-1.amazonaws.com@evil.com/${ACCOUNT}/q`, /user name/],
    ['a port', `https://sqs.us-east-1.amazonaws.com:8443/${ACCOUNT}/q`, /must not name a port/],
    ['a query string', `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/q?Action=x`, /query string/],
    ['a short account id', 'https://sqs.us-east-1.amazonaws.com/1234/q', /12-digit account id/],
    ['an extra path segment', `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/q/x`, /12-digit account id/],
    ['a bad queue name', `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/bad%20name`, /queue names/],
    ['ftp', `ftp://sqs.us-east-1.amazonaws.com/${ACCOUNT}/q`, /must use https/],
    ['not a URL', 'not a url', /expected https:\/\/sqs/],
  ])('refuses %s with a one-line reason', (_name, input, reason) => {
    const checked = checkQueueUrl(input);
    expect(checked.ok).toBe(false);
    if (checked.ok) return;
    expect(checked.reason).toMatch(reason);
    expect(checked.reason).toMatch(/is not an SQS queue URL: /);
    expect(checked.reason).not.toContain('\n');
  });

  it('keeps the reason short for pasted garbage', () => {
    const checked = checkQueueUrl(`https://${'a'.repeat(500)}.example/${ACCOUNT}/q`);
    expect(!checked.ok && checked.reason.length).toBeLessThan(200);
  });
});

describe('sqsHostRegion and isRegionName', () => {
  it('names the region of AWS SQS hosts only', () => {
    expect(sqsHostRegion('sqs.eu-west-3.amazonaws.com')).toBe('eu-west-3');
    expect(sqsHostRegion('sqs.eu-west-3.amazonaws.com.evil.com')).toBeUndefined();
    expect(sqsHostRegion('localhost')).toBeUndefined();
  });
  it.each([
    ['eu-west-1', true],
    ['us-gov-west-1', true],
    ['ap-southeast-5', true],
    ['EU-WEST-1', false],
    ['eu-west-1.evil.com', false],
    ['local', false],
    ['', false],
  ])('isRegionName(%j) is %s', (text, expected) => expect(isRegionName(text)).toBe(expected));
});
