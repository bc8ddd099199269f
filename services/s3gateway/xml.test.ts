import assert from 'node:assert/strict';
import { isS3Error } from './errors.ts';
import {
  listBucketV2Xml,
  parseCompleteMultipartUpload,
  parseDeleteRequest,
  parseXml,
  urlEncoder,
  xmlEscape,
} from './xml.ts';

function malformed(fn: () => unknown): void {
  assert.throws(fn, (err: unknown) => isS3Error(err) && err.code === 'MalformedXML');
}

describe('s3gateway xml', () => {
  it('parses a CompleteMultipartUpload body with a namespace, whitespace and entities', () => {
    const body = `<?xml version="1.0" encoding="UTF-8"?>
      <CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
        <Part><PartNumber>1</PartNumber><ETag>&quot;aa&quot;</ETag></Part>
        <!-- a comment -->
        <Part><ETag>"bb"</ETag><PartNumber>2</PartNumber></Part>
      </CompleteMultipartUpload>`;
    assert.deepEqual(parseCompleteMultipartUpload(body), [
      { partNumber: 1, etag: '"aa"' },
      { partNumber: 2, etag: '"bb"' },
    ]);
  });

  it('parses a Delete body with quiet mode, keys with markup characters and CDATA', () => {
    const body =
      '<Delete><Quiet>true</Quiet><Object><Key>a&amp;b&lt;c&#x263A;</Key></Object><Object><Key><![CDATA[x<y]]></Key><VersionId>v</VersionId></Object></Delete>';
    assert.deepEqual(parseDeleteRequest(body), {
      quiet: true,
      objects: [
        { key: 'a&b<c☺', versionId: undefined },
        { key: 'x<y', versionId: 'v' },
      ],
    });
  });

  it('refuses DOCTYPE, unbalanced or truncated documents, unknown entities and trailing content', () => {
    malformed(() => parseXml('<!DOCTYPE x [<!ENTITY a "b">]><Delete/>'));
    malformed(() => parseXml('<Delete><Object></Delete>'));
    malformed(() => parseXml('<Delete><Object>'));
    malformed(() => parseXml('<Delete>&foo;</Delete>'));
    malformed(() => parseXml('<Delete/><Delete/>'));
    malformed(() => parseXml('<a>' + '<b>'.repeat(20) + '</b>'.repeat(20) + '</a>'));
    malformed(() => parseCompleteMultipartUpload('<CompleteMultipartUpload></CompleteMultipartUpload>'));
    malformed(() =>
      parseCompleteMultipartUpload(
        '<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>',
      ),
    );
    malformed(() => parseDeleteRequest('<Delete><Quiet>maybe</Quiet><Object><Key>k</Key></Object></Delete>'));
    malformed(() => parseDeleteRequest('<Other/>'));
    malformed(() => parseDeleteRequest(`<Delete>${'<Object><Key>k</Key></Object>'.repeat(1001)}</Delete>`));
  });

  it('escapes markup and control characters in responses', () => {
    assert.equal(xmlEscape(`a<b>&"c'\u0001`), 'a&lt;b&gt;&amp;&quot;c&apos;&#1;');
    const xml = listBucketV2Xml(
      {
        bucket: 'b',
        prefix: '',
        maxKeys: 1000,
        contents: [{ key: 'x&y', lastModified: new Date(0), etag: '"e"', size: 1 }],
        commonPrefixes: [],
        isTruncated: false,
      },
      { keyCount: 1, fetchOwner: false },
      { id: 'o', displayName: 'o' },
    );
    assert.ok(xml.includes('<Key>x&amp;y</Key>'));
    assert.ok(xml.includes('<ETag>&quot;e&quot;</ETag>'));
  });

  it('url-encodes listing values the way S3 does, keeping "/"', () => {
    assert.equal(urlEncoder('a b/c+d/ü*'), 'a%20b/c%2Bd/%C3%BC%2A');
  });
});
