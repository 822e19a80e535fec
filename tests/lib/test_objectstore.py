import pytest

from helio_pipeline.lib.errors import SourceUnavailable
from helio_pipeline.lib.objectstore import FileObjectStore, S3ObjectStore, open_object_store


@pytest.mark.parametrize("kind", ["s3", "file"])
def test_put_list_get_and_unchanged_reupload_keeps_identity(kind, bucket_url, s3_endpoint, tmp_path):
    store = open_object_store(bucket_url, s3_endpoint) if kind == "s3" else FileObjectStore(tmp_path)
    store.put_bytes("rules/a.md", b"# A")
    store.put_bytes("rules/sub/b.md", b"# B")
    store.put_bytes("catalog/x.csv", b"sku\n")
    infos = store.list("rules/")
    assert [i.key for i in infos] == ["rules/a.md", "rules/sub/b.md"]
    assert store.get_bytes("rules/a.md") == b"# A"
    before = store.list("rules/a.md")[0]
    store.put_bytes("rules/a.md", b"# A")
    after = store.list("rules/a.md")[0]
    assert (before.etag, before.last_modified) == (after.etag, after.last_modified)


def test_unreachable_endpoint_is_one_clear_error():
    store = S3ObjectStore("bucket", endpoint_url="http://127.0.0.1:9")
    with pytest.raises(SourceUnavailable, match=r"http://127.0.0.1:9"):
        store.list("rules/")
