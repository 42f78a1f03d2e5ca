import { AwsFault, accessDenied, type FakeRequest, requireRoot, stringParam } from './protocol.js';

/** S3 bucket policy actions, path-style: /<bucket>?policy */
export function handleS3(req: FakeRequest): { status: number; body: string } {
  const { account } = requireRoot(req);
  const bucket = req.path[0] ?? '';
  if (!account.buckets.has(bucket))
    throw new AwsFault('NoSuchBucket', 'The specified bucket does not exist', 404);
  const policy = account.buckets.get(bucket) ?? null;
  switch (req.action) {
    case 'GetBucketPolicy':
      if (policy === null) throw new AwsFault('NoSuchBucketPolicy', 'The bucket policy does not exist', 404);
      return { status: 200, body: policy };
    case 'DeleteBucketPolicy':
      account.buckets.set(bucket, null);
      return { status: 204, body: '' };
    default:
      throw accessDenied(req);
  }
}

/** SQS queue policy actions (AWS JSON 1.0 protocol). */
export function handleSqs(req: FakeRequest): unknown {
  const { account } = requireRoot(req);
  const url = new URL(stringParam(req, 'QueueUrl'));
  const [owner, name = ''] = url.pathname.split('/').filter(Boolean);
  if (owner !== account.id || !account.queues.has(name)) {
    throw new AwsFault('QueueDoesNotExist', 'The specified queue does not exist.');
  }
  switch (req.action) {
    case 'GetQueueAttributes': {
      const policy = account.queues.get(name) ?? null;
      return { Attributes: policy === null ? {} : { Policy: policy } };
    }
    case 'SetQueueAttributes': {
      const attributes = (req.json.Attributes ?? {}) as Record<string, string>;
      if ('Policy' in attributes) account.queues.set(name, attributes.Policy ? attributes.Policy : null);
      return {};
    }
    default:
      throw accessDenied(req);
  }
}
