"""One reader for the object store: ``s3://bucket/prefix`` through boto3, ``file:///path`` locally.

S3 endpoint and credentials come from the standard AWS variables (``AWS_ENDPOINT_URL``,
``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_DEFAULT_REGION``), so MinIO and
any S3-compatible server work unchanged.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlparse

from helio_pipeline.lib.errors import ConfigError, SourceUnavailable


@dataclass(frozen=True)
class ObjectInfo:
    key: str                # relative to the store's root, e.g. "rules/garantia.md"
    size: int
    last_modified: datetime
    etag: str


class ObjectStore:
    """Interface shared by the S3 and file stores. Keys are always relative and '/'-separated."""

    url: str

    def list(self, prefix: str) -> list[ObjectInfo]:
        raise NotImplementedError

    def get_bytes(self, key: str) -> bytes:
        raise NotImplementedError

    def put_bytes(self, key: str, data: bytes) -> None:
        raise NotImplementedError

    def delete(self, key: str) -> None:
        raise NotImplementedError


class FileObjectStore(ObjectStore):
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.url = self.root.as_uri()

    def list(self, prefix: str) -> list[ObjectInfo]:
        # S3 semantics: a prefix is a string prefix of the key, not necessarily a folder
        base = self.root / prefix if prefix.endswith("/") else (self.root / prefix).parent
        if not base.exists():
            return []
        infos = []
        for path in sorted(p for p in base.rglob("*") if p.is_file()):
            if not path.relative_to(self.root).as_posix().startswith(prefix):
                continue
            stat = path.stat()
            infos.append(
                ObjectInfo(
                    key=path.relative_to(self.root).as_posix(),
                    size=stat.st_size,
                    last_modified=datetime.fromtimestamp(stat.st_mtime, tz=timezone.utc),
                    etag=hashlib.md5(path.read_bytes()).hexdigest(),
                )
            )
        return infos

    def get_bytes(self, key: str) -> bytes:
        return (self.root / key).read_bytes()

    def put_bytes(self, key: str, data: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and path.read_bytes() == data:
            return  # keep mtime: an unchanged re-upload is not a change
        path.write_bytes(data)

    def delete(self, key: str) -> None:
        (self.root / key).unlink(missing_ok=True)


class S3ObjectStore(ObjectStore):
    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None,
                 region_name: str = "us-east-1"):
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint_url = endpoint_url
        self.url = f"s3://{bucket}/{self.prefix}".rstrip("/")
        # One attempt and short timeouts: an unreachable endpoint is one clear error, not a retry storm.
        self._s3 = boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=region_name,
            config=Config(
                retries={"max_attempts": 1, "mode": "standard"},
                connect_timeout=5,
                read_timeout=30,
            ),
        )

    def _full(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _rel(self, full_key: str) -> str:
        return full_key[len(self.prefix) + 1 :] if self.prefix else full_key

    def _call(self, what: str, fn, **kwargs):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return fn(**kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchBucket", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
                raise SourceUnavailable(
                    f"S3 {what} failed at {self.endpoint_url or 'AWS'} ({self.url}): {code}"
                ) from None
            raise
        except BotoCoreError as exc:
            raise SourceUnavailable(
                f"S3 endpoint {self.endpoint_url or 'AWS'} ({self.url}) is unreachable: {type(exc).__name__}"
            ) from None

    def ensure_bucket(self) -> None:
        from botocore.exceptions import ClientError

        try:
            self._s3.head_bucket(Bucket=self.bucket)
        except ClientError:
            self._call("create_bucket", self._s3.create_bucket, Bucket=self.bucket)

    def list(self, prefix: str) -> list[ObjectInfo]:
        infos = []
        token = None
        while True:
            kwargs = {"Bucket": self.bucket, "Prefix": self._full(prefix)}
            if token:
                kwargs["ContinuationToken"] = token
            page = self._call("list", self._s3.list_objects_v2, **kwargs)
            for obj in page.get("Contents", []):
                infos.append(
                    ObjectInfo(
                        key=self._rel(obj["Key"]),
                        size=obj["Size"],
                        last_modified=obj["LastModified"],
                        etag=obj["ETag"].strip('"'),
                    )
                )
            if not page.get("IsTruncated"):
                return sorted(infos, key=lambda i: i.key)
            token = page["NextContinuationToken"]

    def get_bytes(self, key: str) -> bytes:
        return self._call("get", self._s3.get_object, Bucket=self.bucket, Key=self._full(key))["Body"].read()

    def put_bytes(self, key: str, data: bytes) -> None:
        from botocore.exceptions import ClientError

        try:  # keep last-modified of an unchanged object: re-uploading the same bytes is not a change
            head = self._s3.head_object(Bucket=self.bucket, Key=self._full(key))
            if head["ETag"].strip('"') == hashlib.md5(data).hexdigest():
                return
        except ClientError:
            pass
        self._call("put", self._s3.put_object, Bucket=self.bucket, Key=self._full(key), Body=data)

    def delete(self, key: str) -> None:
        self._call("delete", self._s3.delete_object, Bucket=self.bucket, Key=self._full(key))


def check_object_store_url(url: str, variable: str = "HELIO_S3_URL") -> None:
    """Refuse a URL no store here can open (``ftp://``, ``s3://`` without a bucket), naming the
    setting it came from."""
    parsed = urlparse(url)
    if parsed.scheme == "s3" and parsed.netloc:
        return
    if parsed.scheme in ("file", "") and (parsed.path or url).strip():
        return
    raise ConfigError(f"{variable}={url!r} is not an object store URL: use s3://bucket/prefix or file:///path")


def open_object_store(url: str, endpoint_url: str | None = None, region_name: str = "us-east-1") -> ObjectStore:
    """``s3://bucket/prefix`` or ``file:///abs/path`` (a bare path is taken as a file path)."""
    check_object_store_url(url, "object store URL")
    parsed = urlparse(url)
    if parsed.scheme == "s3":
        return S3ObjectStore(parsed.netloc, parsed.path, endpoint_url=endpoint_url, region_name=region_name)
    return FileObjectStore(parsed.path if parsed.scheme else url)
