"""Errors a person is meant to read: each names the endpoint, file or row at fault."""


class HelioError(RuntimeError):
    """Base class for errors raised on purpose by Helio KB."""


class SourceUnavailable(HelioError):
    """A source or sink (PostgreSQL, S3, Qdrant, an embedding API) could not be reached."""


class MassDeleteRefused(HelioError):
    """A sync would delete more of a collection than the guard allows."""


class CheckFailed(HelioError):
    """A freshly built collection failed verification; the alias was not moved."""


class BudgetExceeded(HelioError):
    """The embeddings a run would pay for are estimated above its budget."""


class StoreBusy(HelioError):
    """The embedded vector store is held by another process (one process at a time)."""


class StoreNotWritable(HelioError):
    """The embedded vector store's directory cannot be written by this process (it can still be searched)."""


class VectorsDamaged(HelioError):
    """A collection's stored vectors are damaged on disk (non-finite, or not what the distance allows)."""


class ConfigError(HelioError, ValueError):
    """A setting that cannot work (an unknown embedder, a URL of the wrong kind): refused before any work."""
