"""The Qdrant Edge backend: ``catalog`` (files under the root, the lock), ``filters`` (project
filters in the engine's terms) and ``store`` (EdgeVectorStore)."""

from helio_pipeline.vectorstore.edge.catalog import CollectionNotFound, edge_version
from helio_pipeline.vectorstore.edge.store import EdgeVectorStore, close_all

__all__ = ["EdgeVectorStore", "CollectionNotFound", "close_all", "edge_version"]
