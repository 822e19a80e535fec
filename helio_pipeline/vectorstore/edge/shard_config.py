"""How each collection's shard is set up in Qdrant Edge: vectors, segments, memory placement.

:func:`edge_config` is used when a collection is created and every time its shard is loaded
(so collections made by earlier versions get today's segment settings); ``INDEX_TYPES`` maps
the project's payload index kinds (``CollectionSpec.payload_indexes``) to the engine's.
"""

from __future__ import annotations

import qdrant_edge as qe

from helio_pipeline.vectorstore.base import DENSE, SPARSE

# Fresh writes land in an appendable segment, whose id tracker, payload indexes and sparse
# index live in the process's heap (about 2.5 KB per point): a collection never reorganized
# costs every process that loads it that much (1.2 GB of heap for 268k chunks in
# bench/scale.py). After a sync's writes, optimize() turns them into immutable segments kept
# on disk (about 0.2-0.5 KB of heap per point once loaded). No HNSW graph is built (m=0):
# searches here are filtered by tenant or small enough for an exact scan, and graphs would
# cost 1 s per thousand points. Segment sizes are set in points (the engine counts KB of
# vector data, 1 KB = 256 floats): an appendable segment is converted from 4k points, and
# merges stop at 32k, so an optimize costs the same memory and time however large the
# collection grows.
_HNSW = dict(m=0, ef_construct=100, full_scan_threshold=10_000)
_CONVERT_AT_POINTS, _SEGMENT_POINTS = 4_096, 32_768


def edge_config(dimensions: int, distance: str, wal_enabled: bool | None = None):
    """A collection's engine settings, used to create it and each time it is loaded (so
    collections made by earlier versions get today's segment settings; the WAL setting is
    fixed at creation and left alone on load). Vectors, sparse index and payload stay on disk
    (mmap, in the page cache when hot), not in the process's own memory."""
    kb_per_point = dimensions * 4 / 1024
    return qe.EdgeConfig(
        vectors={DENSE: qe.EdgeVectorParams(size=dimensions, distance=DISTANCES[distance], memory=qe.Memory.Cold)},
        sparse_vectors={SPARSE: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf, memory=qe.Memory.Cold)},
        payload_memory=qe.Memory.Cold, wal_enabled=wal_enabled, id_tracker_memory=qe.Memory.Cold,
        hnsw_config=qe.HnswIndexConfig(**_HNSW, memory=qe.Memory.Cold),
        optimizers=qe.EdgeOptimizersConfig(indexing_threshold=max(1, int(_CONVERT_AT_POINTS * kb_per_point)),
                                           max_segment_size=max(1, int(_SEGMENT_POINTS * kb_per_point)),
                                           default_segment_number=4),
    )


DISTANCES = {
    "Cosine": qe.Distance.Cosine,
    "Euclid": qe.Distance.Euclid,
    "Dot": qe.Distance.Dot,
    "Manhattan": qe.Distance.Manhattan,
}
INDEX_TYPES = {
    "keyword": qe.PayloadSchemaType.Keyword,
    "integer": qe.PayloadSchemaType.Integer,
    "float": qe.PayloadSchemaType.Float,
    "bool": qe.PayloadSchemaType.Bool,
    "datetime": qe.PayloadSchemaType.Datetime,
}
