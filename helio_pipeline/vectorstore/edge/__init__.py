"""The Qdrant Edge backend: ``store`` (EdgeVectorStore: a root's collections, aliases, points
and queries), ``publishing`` (a writer's copy-on-write and flushes), ``following`` (a reader's
snapshots of the catalog), ``shard_config`` (engine settings of a shard), ``catalog`` (files
under the root, the locks) and ``filters`` (project filters in the engine's terms)."""

from helio_pipeline.vectorstore.edge.catalog import CollectionNotFound, edge_version
from helio_pipeline.vectorstore.edge.store import EdgeVectorStore, close_all, held

__all__ = ["EdgeVectorStore", "CollectionNotFound", "close_all", "edge_version", "held"]
