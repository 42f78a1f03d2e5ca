import { FAKE_DEFAULT_REGION, FAKE_QUEUE_MODIFIED, type FakeAccount } from './model.js';
import { AwsFault, accessDenied, type FakeRequest, requireRoot, stringParam } from './protocol.js';
import type { FakeAwsState } from './state.js';
import { escapeXml } from './xml.js';

/** S3 default page size for ListBuckets with a prefix, region or continuation token. */
const LIST_BUCKETS_PAGE = 10_000;
const BUCKET_CREATED = '2024-01-02T03:04:05.000Z';

/**
 * S3, path-style: ListBuckets (GET /) and bucket policies (/<bucket>?policy).
 * As real S3: a bucket name is global, a bucket lives in one region and a request
 * signed for another region is answered 301 PermanentRedirect with the bucket's
 * region in `x-amz-bucket-region`; `x-amz-expected-bucket-owner` is enforced; a
 * bucket of another account is AccessDenied, never served.
 */
export function handleS3(state: FakeAwsState, req: FakeRequest): { status: number; body: string } {
  const { account } = requireRoot(req);
  if (req.action === 'ListAllMyBuckets') return listBuckets(account, req);
  const bucket = req.path[0] ?? '';
  const owner = [...state.accounts.values()].find((a) => a.buckets.has(bucket));
  if (!owner) throw new AwsFault('NoSuchBucket', 'The specified bucket does not exist', 404);
  const region = owner.bucketRegions.get(bucket) ?? FAKE_DEFAULT_REGION;
  if (req.region !== region) {
    throw new AwsFault(
      'PermanentRedirect',
      'The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.',
      301,
      { 'x-amz-bucket-region': region },
    );
  }
  const expectedOwner = req.headers['x-amz-expected-bucket-owner'];
  if ((expectedOwner !== undefined && expectedOwner !== owner.id) || owner.id !== account.id) {
    throw new AwsFault('AccessDenied', 'Access Denied', 403);
  }
  const policy = owner.buckets.get(bucket) ?? null;
  switch (req.action) {
    case 'GetBucketPolicy':
      if (policy === null) throw new AwsFault('NoSuchBucketPolicy', 'The bucket policy does not exist', 404);
      return { status: 200, body: policy };
    case 'DeleteBucketPolicy':
      owner.buckets.set(bucket, null);
      return { status: 204, body: '' };
    default:
      throw accessDenied(req);
  }
}

/** The caller's buckets in name order, filtered by prefix and region, paged as S3 pages them. */
function listBuckets(account: FakeAccount, req: FakeRequest): { status: number; body: string } {
  const prefix = req.query.get('prefix') ?? '';
  const region = req.query.get('bucket-region');
  const after = req.query.get('continuation-token') ?? '';
  const size = Number(req.query.get('max-buckets') ?? LIST_BUCKETS_PAGE);
  const matching = [...account.buckets.keys()]
    .sort()
    .filter((name) => name.startsWith(prefix) && name > after)
    .filter((name) => !region || (account.bucketRegions.get(name) ?? FAKE_DEFAULT_REGION) === region);
  const page = matching.slice(0, size);
  const last = page.at(-1);
  const more = matching.length > page.length && last !== undefined;
  const buckets = page
    .map(
      (name) =>
        `<Bucket><Name>${escapeXml(name)}</Name><CreationDate>${BUCKET_CREATED}</CreationDate>` +
        `<BucketRegion>${account.bucketRegions.get(name) ?? FAKE_DEFAULT_REGION}</BucketRegion></Bucket>`,
    )
    .join('');
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
    `<Owner><ID>${account.id}canonical</ID></Owner><Buckets>${buckets}</Buckets>` +
    (more ? `<ContinuationToken>${escapeXml(last)}</ContinuationToken>` : '') +
    (prefix ? `<Prefix>${escapeXml(prefix)}</Prefix>` : '') +
    '</ListAllMyBucketsResult>';
  return { status: 200, body };
}

/**
 * SQS queue policy actions (AWS JSON 1.0 protocol). A queue lives in one region:
 * a request signed for another region does not find it, as in real SQS.
 */
export function handleSqs(req: FakeRequest): unknown {
  const { account } = requireRoot(req);
  const url = new URL(stringParam(req, 'QueueUrl'));
  const [owner, name = ''] = url.pathname.split('/').filter(Boolean);
  const region = account.queueRegions.get(name) ?? FAKE_DEFAULT_REGION;
  if (owner !== account.id || !account.queues.has(name) || req.region !== region) {
    throw new AwsFault('QueueDoesNotExist', 'The specified queue does not exist.');
  }
  switch (req.action) {
    case 'GetQueueAttributes': {
      // As SQS: only the attributes asked for ("All": every one), timestamps in epoch seconds, no empty Policy.
      const policy = account.queues.get(name) ?? null;
      const modified = account.queueModified.get(name) ?? FAKE_QUEUE_MODIFIED;
      const all: Record<string, string> = {
        ...(policy === null ? {} : { Policy: policy }),
        CreatedTimestamp: String(Math.floor(FAKE_QUEUE_MODIFIED.getTime() / 1000)),
        LastModifiedTimestamp: String(Math.floor(modified.getTime() / 1000)),
      };
      const names = (req.json.AttributeNames ?? []) as string[];
      const wanted = names.includes('All') ? Object.keys(all) : names;
      const Attributes = Object.fromEntries(Object.entries(all).filter(([key]) => wanted.includes(key)));
      return Object.keys(Attributes).length ? { Attributes } : {};
    }
    case 'SetQueueAttributes': {
      const attributes = (req.json.Attributes ?? {}) as Record<string, string>;
      if ('Policy' in attributes) account.queues.set(name, attributes.Policy ? attributes.Policy : null);
      account.queueModified.set(name, new Date());
      return {};
    }
    default:
      throw accessDenied(req);
  }
}
