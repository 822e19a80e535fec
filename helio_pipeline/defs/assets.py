"""Assets, built from the domain registry: for each domain ``<domain>_extract`` (sources →
an ``Extraction``: rows plus what could not be read), ``<domain>_chunks`` (→ a ``ChunkSet``:
chunks plus the protected source ids and named problems, handed on explicitly) and
``<domain>_index`` (→ the domain's Qdrant collection, synced by content).

A domain configured with several shards (``HELIO_SHARDS``) gets the same three assets
partitioned by hash shard of the source id (keys ``shard-<i>-of-<n>``): each partition
extracts, chunks, embeds and syncs only its shard, so a backfill of all partitions runs the
shards in parallel on as many workers as the deployment gives it."""


from contextlib import contextmanager

import dagster as dg

from helio_pipeline import settings
from helio_pipeline.domains import DOMAINS, Domain
from helio_pipeline.defs.resources import (
    EmbedderResource, ObjectStoreResource, QdrantResource, SourceDatabase, cached_embedder, source_access,
)
from helio_pipeline.lib import fingerprint
from helio_pipeline.lib.errors import HelioError
from helio_pipeline.lib.golden import golden_set
from helio_pipeline.lib.indexing import index_config, index_domain
from helio_pipeline.lib.quarantine import record_problems
from helio_pipeline.lib.records import ChunkSet, Extraction
from helio_pipeline.lib.redaction import redact_escaped, redact_record
from helio_pipeline.lib.shard_builds import ShardBuilds
from helio_pipeline.lib.sharding import Shard, shard_keys
from helio_pipeline.lib.sync import SyncOptions


class SyncConfig(dg.Config, SyncOptions):
    """Run config of an index asset: the sync engine's options (lib/sync_plan.py), declared
    once there; the asset hands them to the engine unchanged."""


def _problems_table(problems: list[dict], limit: int = 20) -> str:
    if not problems:
        return "none"
    rows = ["| source | where | reason |", "|---|---|---|"]
    rows += [f"| {p['source']} | {p['location']} | {p['reason'][:120].replace('|', '/')} |" for p in problems[:limit]]
    if len(problems) > limit:
        rows.append(f"| … | {len(problems) - limit} more | see kb_quarantine |")
    return "\n".join(rows)


@contextmanager
def failing_clearly():
    """Our own errors (unreachable source, mass-delete guard, failed verification) become a
    dg.Failure whose message is the whole story, instead of a stack trace."""
    try:
        yield
    except HelioError as exc:
        raise dg.Failure(description=f"{type(exc).__name__}: {exc}", allow_retries=False) from None


@contextmanager
def personal_data_kept_out(domain: Domain):
    """An extraction of a domain that holds personal data can fail on a line full of it (a
    database error quoting the row, a parser quoting the line). Whatever it raises reaches the
    run storage, the compute logs and the CLI only redacted, and without its chained causes."""
    if not domain.redacts_personal_data:
        yield
        return
    try:
        yield
    except dg.Failure as exc:
        raise dg.Failure(description=redact_escaped(exc.description), allow_retries=False) from None
    except Exception as exc:  # noqa: BLE001 - re-raised, redacted
        raise dg.Failure(description=f"{type(exc).__name__}: {redact_escaped(exc)}", allow_retries=False) from None


def read_inputs(context, domain: Domain, database: SourceDatabase, objects: ObjectStoreResource,
                embedder: EmbedderResource, qdrant: QdrantResource, redacting: bool):
    """(the domain's input fingerprint, or the run's shard's, and what was recorded when it was
    last verified on the same inputs, or None). Not read for a run that re-syncs chosen sources
    (a sensor's: they are always synced), a run that does not sync the index, or ``full``."""
    options = SyncOptions(**context.run_config.get("ops", {}).get(f"{domain.name}_index", {}).get("config", {}))
    try:
        selection = context.run.asset_selection
    except dg.DagsterError:  # invoked directly, outside a run: no selection to read
        selection = None
    if (options.source_ids is not None or options.full
            or (selection and dg.AssetKey(f"{domain.name}_index") not in selection)):  # empty: the whole job
        return None, None
    shard = run_shard(context)
    inputs, unchanged, why = check_inputs(domain, shard, database, objects, embedder,
                                          qdrant.store(log=context.log.info), qdrant.collection_prefix, redacting)
    if unchanged is None:
        context.log.info(f"{domain.name}{' ' + shard.key if shard else ''}: full pass ({why})")
    return inputs, unchanged


def check_inputs(domain: Domain, shard: Shard | None, database: SourceDatabase, objects: ObjectStoreResource,
                 embedder: EmbedderResource, store, prefix: str, redacting: bool | None = None,
                 timeout_s: float | None = None, table_digests: dict[str, str] | None = None):
    """(today's input fingerprint of ``domain`` or its ``shard``, what was recorded at its last
    verified sync on the same inputs or None, why not): the one check behind a run's skip and a
    schedule's (defs/schedules.py). ``redacting``: the operator setting, read when not given.
    ``timeout_s``: the longest a source query may take (a schedule's; a run waits).
    ``table_digests``: the source tables' digests when already read (a schedule's tick reads
    every shard's in one scan: ``fingerprint.shard_digests``)."""
    if redacting is None:
        redacting = domain.redacts_personal_data and settings.redact_personal_data()
    config = index_config(domain, embedder.embedder())
    inputs = fingerprint.input_fingerprint(domain, database.engine(), objects.store(), config.fingerprint,
                                           redact_pii=redacting, golden_min_queries=settings.load().golden_min_queries,
                                           shard=shard, timeout_s=timeout_s, table_digests=table_digests)
    alias = domain.collection(prefix)
    unchanged, why = fingerprint.unchanged_since(store, alias, f"{alias}__{config.fingerprint}", inputs, shard)
    return inputs, unchanged, why


def report_unchanged(context, domain: Domain, unchanged: "fingerprint.Unchanged", inputs) -> None:
    """A skipped domain says so where a person looks: the index asset's events (an observation:
    the collection is as last materialized) and the log."""
    shard = run_shard(context)
    message = f"{domain.name}{' ' + shard.key if shard else ''}: {unchanged.describe()}; extraction, chunking and sync skipped"
    context.log.info(message)
    problems = unchanged.fingerprint.get("problems", {})
    context.log_event(dg.AssetObservation(asset_key=dg.AssetKey(f"{domain.name}_index"), metadata={
        "unchanged_since": unchanged.describe(),
        "unchanged_since_run": unchanged.run_id,
        "collection": unchanged.collection,
        "collection_size": unchanged.points,
        "chunks": unchanged.chunks,
        "new": 0, "changed": 0, "unchanged": unchanged.points, "payload_updated": 0, "deleted": 0,
        "points_written": 0, "embedded_texts": 0, "cache_hits": 0,
        "embedding_requests": 0, "embedding_tokens": 0, "estimated_usd": 0.0,  # what this run paid
        "input_fingerprint": inputs.digest,
        "fingerprint_parts": dg.MetadataValue.json(inputs.parts),
        "checks": f"passed on these inputs in run {unchanged.run_id[:8]} (not re-run: nothing they measure changed)",
        "rows_skipped": problems.get("skipped", 0),
        "lines_quarantined": problems.get("quarantined", 0),
        **({"shard": shard.key} if shard else {}),
        "how_to_force": f"helio refresh --full {domain.name} (run config: full: true)",
    }))


def shard_partitions(shards: int) -> dg.StaticPartitionsDefinition | None:
    return dg.StaticPartitionsDefinition(shard_keys(shards)) if shards > 1 else None


def run_shard(context) -> Shard | None:
    return Shard.parse(context.partition_key) if context.has_partition_key else None


def build_domain_assets(domain: Domain, shards: int = 1) -> list[dg.AssetsDefinition]:
    name = domain.name
    partitions = shard_partitions(shards)

    @dg.asset(
        name=f"{name}_extract", group_name=name, kinds=set(domain.kinds) | {"pandas"},
        io_manager_key="parquet_io_manager", description=f"Rows of the {name} domain from PostgreSQL and S3.",
        partitions_def=partitions, deps=[source_key(source) for source in domain.sources],
        output_required=False,  # inputs unchanged since the last verified sync: nothing downstream runs
    )
    def extract(context: dg.AssetExecutionContext, database: SourceDatabase, objects: ObjectStoreResource,
                embedder: EmbedderResource, qdrant: QdrantResource):
        with failing_clearly(), personal_data_kept_out(domain):
            # an operator decision (environment), never a run config field anyone can set in the UI
            redacting = domain.redacts_personal_data and settings.redact_personal_data()
            embedder.preflight()  # a missing or wrong API key fails here, before any extraction work
            inputs, unchanged = read_inputs(context, domain, database, objects, embedder, qdrant, redacting)
            if unchanged is not None:
                report_unchanged(context, domain, unchanged, inputs)
                return
            ex = domain.extract(source_access(database, objects, redact_pii=redacting, shard=run_shard(context)))
            ex.inputs = inputs.as_dict() if inputs is not None else None
            if redacting:  # quarantine rows, logs and snapshot side files hold no personal data either
                ex.skipped = [redact_record(p) for p in ex.skipped]
                ex.quarantined = [redact_record(p) for p in ex.quarantined]
            record_problems(database.engine(), context.run_id, name, ex.skipped + ex.quarantined)
        if domain.redacts_personal_data and not redacting:
            context.log.warning(f"{name}: personal data is NOT redacted (HELIO_REDACT_PII=false, an operator setting)")
        for problem in ex.skipped + ex.quarantined:
            context.log.warning(f"{name}: {problem.source} {problem.location}: {problem.reason}")
        yield dg.Output(ex, metadata={
            "rows": len(ex.frame),
            "rows_per_source": dg.MetadataValue.json(ex.rows_per_source),
            "skipped": len(ex.skipped),
            "quarantined": len(ex.quarantined),
            **({"redacted": dg.MetadataValue.json(ex.redactions),
                "personal_data_redaction": "on" if redacting else "OFF (HELIO_REDACT_PII=false)"}
               if domain.redacts_personal_data else {}),
            "problems": dg.MetadataValue.md(_problems_table([p.as_dict() for p in ex.skipped + ex.quarantined])),
        })

    @dg.asset(
        name=f"{name}_chunks", group_name=name, kinds={"pandas"}, io_manager_key="parquet_io_manager",
        ins={"extraction": dg.AssetIn(f"{name}_extract")},
        description=domain.description, partitions_def=partitions,
    )
    def chunks(context: dg.AssetExecutionContext, extraction: Extraction) -> dg.Output[ChunkSet]:
        produced = domain.chunk(extraction.frame)
        shard = run_shard(context)
        if shard is not None:  # extractors that cannot push the shard down return every row
            produced = [c for c in produced if shard.contains(c.source_id)]
        preview = "\n\n".join(f"**{c.source_id}#{c.chunk_no}** {c.text[:200]}" for c in produced[:3])
        handed = ChunkSet.of(produced, extraction)
        return dg.Output(handed, metadata={
            "chunks": len(produced),
            "documents": len(handed.source_ids),
            "protected_sources": len(handed.protected_ids),
            "chunker_version": domain.chunker_version,
            "preview": dg.MetadataValue.md(preview or "(no chunks)"),
        })

    @dg.asset(
        name=f"{name}_index", group_name=name, kinds={"qdrant"},
        pool=f"helio_kb_{name}",  # one writer per collection: a sensor run and the nightly run queue
        ins={"handed": dg.AssetIn(f"{name}_chunks")},
        description=f"Qdrant collection {domain.collection()} (an alias), synced by content: only new and changed chunks are embedded.",
        partitions_def=partitions,
    )
    def index(context: dg.AssetExecutionContext, config: SyncConfig, handed: ChunkSet,
              database: SourceDatabase, qdrant: QdrantResource, embedder: EmbedderResource) -> dg.MaterializeResult:
        options, shard = config.with_budget(embedder.max_usd_per_run), run_shard(context)
        with failing_clearly():
            store = qdrant.store(log=context.log.info)
            cached = cached_embedder(embedder, database)
            golden = golden_set(domain, handed.chunks, database.engine(), settings.load().golden_min_queries)
            outcome = index_domain(domain, handed.chunks, store, cached, qdrant.collection_prefix,
                                   options, shard, set(handed.protected_ids), log=context.log.info,
                                   builds=ShardBuilds(database.engine()), run_id=context.run_id, golden=golden)
            synced = outcome.report
            if handed.inputs and options.source_ids is None and not handed.unread \
                    and (shard is not None or synced.collection == store.resolve(synced.alias)):
                # a sync of every source (of the shard's): its checks record these inputs as
                # verified when they all pass. A shard of a build records too: the alias moves
                # after the last shard, and a record counts only once it points there. Not when
                # a source's bytes could not be fetched (its old points kept): the failure may be
                # passing (a timeout), and its new content must not wait for another change
                fingerprint.note_pending(store, synced.collection, handed.inputs, context.run_id, outcome.chunks,
                                         {"skipped": len(handed.skipped), "quarantined": len(handed.quarantined)},
                                         shard)
        report, model = outcome.report, cached.embedder
        problems = [p.as_dict() for p in handed.problems]
        return dg.MaterializeResult(metadata={
            "collection": report.collection,
            "alias": report.alias,
            "collection_size": store.count(report.collection),
            "rows_per_source": dg.MetadataValue.json(handed.rows_per_source),
            "rows_skipped": len(handed.skipped),
            "lines_quarantined": len(handed.quarantined),
            "protected_sources": len(handed.protected_ids),
            **({"personal_data_redacted": dg.MetadataValue.json(handed.redactions)}
               if domain.redacts_personal_data else {}),
            "skipped_and_why": dg.MetadataValue.md(_problems_table(problems)),
            "chunks": outcome.chunks,
            "new": report.new, "changed": report.changed, "unchanged": report.unchanged,
            "payload_updated": report.payload_updated, "deleted": report.deleted,
            "points_written": report.points_written,
            "embedded_texts": report.embedded, "cache_hits": report.cache_hits,
            "cache_hit_rate": round(report.cache_hits / report.points_written, 4) if report.points_written else 1.0,
            "embedding_tokens": outcome.tokens,
            "embedding_requests": outcome.requests,
            "embedding_retries": outcome.retries,
            "estimated_usd": round(outcome.usd, 6),
            "embedder": f"{model.name}:{model.model}:{model.dimensions}",
            "embedding_seconds": round(report.seconds.get("embed", 0.0), 3),
            "upsert_seconds": round(report.seconds.get("upsert", 0.0), 3),
            "optimize_seconds": round(report.seconds.get("optimize", 0.0), 3),
            "total_seconds": round(report.seconds.get("total", 0.0), 3),
            "rebuilt": report.rebuilt,
            "promoted": report.promoted,
            "previous_collection": report.previous_collection or "",
            "dropped_collections": dg.MetadataValue.json(report.dropped_collections),
            "scope": outcome.scope,
            **({"shards_built": f"{outcome.shards_built}/{shard.count}"} if shard else {}),
            "input_fingerprint": (handed.inputs or {}).get("digest", "not read"),
        })

    return [extract, chunks, index]


def source_key(source: str) -> dg.AssetKey:
    return dg.AssetKey(source.split("/", 1)[0] + "_" + source.split("/", 1)[1].replace("/", "_"))


def source_specs() -> list[dg.AssetSpec]:
    """The tables and object prefixes the domains read, as external assets: nodes in the
    lineage, never materialized by Dagster (the distributor's systems write them)."""
    sources = sorted({source for domain in DOMAINS.values() for source in domain.sources})
    specs = []
    for source in sources:
        system, where = source.split("/", 1)
        specs.append(dg.AssetSpec(
            source_key(source), group_name="sources", kinds={system},
            description=f"PostgreSQL table `{where}`" if system == "postgres"
            else f"Objects under `{where}/` in the object store (S3 or file://)",
        ))
    return specs


def all_domain_assets(shards: dict[str, int] | None = None) -> list:
    shards = shards or {}
    return source_specs() + [asset for domain in DOMAINS.values()
                             for asset in build_domain_assets(domain, shards.get(domain.name, 1))]
