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
