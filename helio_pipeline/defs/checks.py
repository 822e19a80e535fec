"""Asset checks on each index: one property per check, run after every materialization.

The same properties are verified inside the index asset before an alias is moved during a
rebuild (see lib/sync.py), so a failed check there leaves search on the old collection.
In a shard partition's run, each check looks at that shard's points only."""


import dagster as dg
import pandas as pd

from helio_pipeline.domains import DOMAINS, Domain
from helio_pipeline.defs.resources import EmbedderResource, QdrantResource, SourceDatabase
from helio_pipeline.lib import verify
from helio_pipeline.lib.golden import evaluate, golden_queries
from helio_pipeline.lib.indexing import index_config
from helio_pipeline.lib.records import frame_to_chunks
from helio_pipeline.lib.shard_builds import ShardBuilds
from helio_pipeline.lib.sharding import Shard

CHECKS = {
    "point_count_matches_chunks": "The collection holds exactly one point per chunk the sources produced.",
    "no_unknown_source_ids": "No point belongs to a source row or file that no longer exists.",
    "vector_size_matches_embedder": "Vectors have the configured embedder's dimensions.",
    "vectors_are_finite_and_normalized": "Every stored dense vector is finite and, for cosine, of norm 1 (not damaged on disk).",
    "alias_on_current_fingerprint": "The alias readers query points at the collection built with the current configuration.",
    "golden_query_recall": "Golden queries find their expected documents: recall@5 at or above the domain's floor (MRR reported).",
}


def build_domain_checks(domain: Domain) -> dg.AssetChecksDefinition:
    asset_key = dg.AssetKey(f"{domain.name}_index")

    @dg.multi_asset_check(
        name=f"{domain.name}_index_checks",
        specs=[dg.AssetCheckSpec(check, asset=asset_key, description=text, blocking=True,
                                  additional_deps=[f"{domain.name}_chunks"])
               for check, text in CHECKS.items()],
        ins={"chunk_frame": dg.AssetIn(f"{domain.name}_chunks")},
    )
    def checks(context: dg.AssetCheckExecutionContext, chunk_frame: pd.DataFrame, qdrant: QdrantResource,
               embedder: EmbedderResource, database: SourceDatabase):
        run = context.op_execution_context
        shard = Shard.parse(run.partition_key) if run.has_partition_key else None
        store = qdrant.store(log=context.log.info)
        alias = domain.collection(qdrant.collection_prefix)
        model = embedder.embedder()
        expected = f"{alias}__{index_config(domain, model).fingerprint}"
        live = store.resolve(alias)
        checked, building = live, None
        if shard is not None and live != expected and store.exists(expected):
            # a sharded build in progress: the alias moves when its last shard is in; until
            # then this shard's part is checked where it was written
            generation = str(store.metadata(expected).get("created_at", ""))
            built = ShardBuilds(database.engine()).built(expected, generation, shard.count)
            if len(built) < shard.count:
                checked, building = expected, f"{len(built)}/{shard.count} shards built"
        problems = {
            "alias_on_current_fingerprint": None if live == expected or building
            else f"{alias} points at {live}, the current configuration builds {expected}",
        }
        quality = {}
        if checked:
            problems.update(_collection_problems(store, checked, chunk_frame, model, shard))
            chunks = frame_to_chunks(chunk_frame)
            golden = golden_queries(domain.name, chunks)
            if shard is not None:  # a shard answers for its own documents
                golden = [g for g in golden if any(shard.contains(s) for s in g.expected)]
            damaged = problems["vectors_are_finite_and_normalized"]
            if damaged:  # its searches refuse the scores such vectors give
                problems["golden_query_recall"] = f"not evaluated: {damaged}"
            else:
                quality = evaluate(store, checked, domain.filter_fields, golden, model)
                problems["golden_query_recall"] = None if quality["recall_at_5"] >= domain.min_recall_at_5 else (
                    f"recall@5 {quality['recall_at_5']:.2f} < floor {domain.min_recall_at_5:.2f}; "
                    f"misses: {quality['misses']}")
        for check in CHECKS:
            problem = problems.get(check, f"{alias} does not exist")
            metadata = {"collection": checked or "", "problem": problem or "",
                        **({"shard": shard.key} if shard else {}), **({"building": building} if building else {})}
            if check == "golden_query_recall" and quality:
                metadata.update(queries=quality["queries"], recall_at_5=round(quality["recall_at_5"], 4),
                                mrr=round(quality["mrr"], 4), floor=domain.min_recall_at_5)
            yield dg.AssetCheckResult(check_name=check, asset_key=asset_key, passed=problem is None, metadata=metadata)

    return checks


def _collection_problems(store, collection: str, chunk_frame: pd.DataFrame, model, shard: Shard | None) -> dict:
    known = set(chunk_frame["source_id"])
    # sources that could not be read this time keep their points (see lib/sync.py): expected here
    protected = set((chunk_frame.attrs or {}).get("protected_ids", []))
    kept = verify.kept_protected(store, collection, known, protected, shard)
    return {
        "point_count_matches_chunks": verify.count_problem(store, collection, len(chunk_frame), kept) if shard is None
        else verify.shard_count_problem(store, collection, len(chunk_frame), shard, kept),
        "no_unknown_source_ids": verify.unknown_source_problem(store, collection, known, shard, protected),
        "vector_size_matches_embedder": verify.vector_size_problem(store, collection, model.dimensions),
        "vectors_are_finite_and_normalized": verify.vector_problem(store, collection, shard),
    }


def all_domain_checks() -> list[dg.AssetChecksDefinition]:
    return [build_domain_checks(domain) for domain in DOMAINS.values()]
