"""WSGI filter in front of s3api: adds the Content-MD5 that Swift 2.30 demands on DeleteObjects.

Current AWS SDKs no longer send Content-MD5 on a multi-object delete (they send the newer
x-amz-checksum-* headers, which Swift 2.30 does not know), but s3api 2.30 refuses the request
without it. The filter computes it from the body. The body stays covered by the SigV4 payload hash
that s3api verifies, and Content-MD5 is not a signed header in that case, so signature checking is
unaffected.
"""
import base64
import hashlib
import io

MAX_BODY = 2 * 1024 * 1024


class S3Compat(object):
    def __init__(self, app):
        self.app = app

    def __call__(self, env, start_response):
        if (env.get('REQUEST_METHOD') == 'POST' and 'HTTP_CONTENT_MD5' not in env
                and any(q.split('=', 1)[0] == 'delete'
                        for q in env.get('QUERY_STRING', '').split('&'))):
            try:
                length = int(env.get('CONTENT_LENGTH') or -1)
            except ValueError:
                length = -1
            if 0 <= length <= MAX_BODY:
                body = env['wsgi.input'].read(length)
                env['wsgi.input'] = io.BytesIO(body)
                env['HTTP_CONTENT_MD5'] = base64.b64encode(
                    hashlib.md5(body).digest()).decode('ascii')
        return self.app(env, start_response)


def filter_factory(global_conf, **local_conf):
    return S3Compat
