/** Just enough XML writing for the AWS query and REST-XML protocols. */

/** A map serialized the way IAM does (`<entry><key/><value/></entry>`). */
export class XmlMap {
  constructor(readonly entries: Record<string, string | number>) {}
}

export type XmlValue =
  | string
  | number
  | boolean
  | Date
  | XmlMap
  | XmlValue[]
  | { [key: string]: XmlValue | undefined };

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function element(name: string, value: XmlValue | undefined): string {
  if (value === undefined) return '';
  return `<${name}>${content(value)}</${name}>`;
}

function content(value: XmlValue): string {
  if (value instanceof Date) return value.toISOString();
  if (value instanceof XmlMap) {
    return Object.entries(value.entries)
      .map(([k, v]) => `<entry><key>${escapeXml(k)}</key><value>${escapeXml(String(v))}</value></entry>`)
      .join('');
  }
  if (Array.isArray(value)) return value.map((v) => element('member', v)).join('');
  if (typeof value === 'object')
    return Object.entries(value)
      .map(([k, v]) => element(k, v))
      .join('');
  return escapeXml(String(value));
}

/** A query-protocol (STS, IAM) success body. */
export function queryResponse(
  action: string,
  namespace: string,
  result: XmlValue,
  requestId: string,
): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?><${action}Response xmlns="${namespace}">` +
    element(`${action}Result`, result) +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`
  );
}

/** A query-protocol error body, as STS and IAM send it. */
export function queryError(namespace: string, code: string, message: string, requestId: string): string {
  const type = code === 'ServiceFailure' ? 'Receiver' : 'Sender';
  return (
    `<?xml version="1.0" encoding="UTF-8"?><ErrorResponse xmlns="${namespace}">` +
    `<Error><Type>${type}</Type><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error>` +
    `<RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}

/** An S3 (REST-XML) error body. */
export function s3Error(code: string, message: string, requestId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${escapeXml(code)}</Code>` +
    `<Message>${escapeXml(message)}</Message><RequestId>${requestId}</RequestId></Error>`
  );
}
