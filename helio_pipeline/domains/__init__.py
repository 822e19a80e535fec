"""THE registry: one module per knowledge-base domain, listed here.

Each module (``products``, ``prices``, ``rules``, ``conversations``) holds everything that
makes its domain what it is: extract and chunk functions, filter and tenant fields, the
question vocabulary, the tables and prefixes it reads (which route catalog changes and
object drops to it), its change-log triggers, its golden-query source and its query-time
hooks (availability, conversation memory). Everything else — assets, checks, sensors, sync,
search, CLI, API, benches — is generic over :class:`Domain` and reads this dict.

Adding a domain is one new module ending in ``DOMAIN = Domain(...)`` plus one line below.
"""

from helio_pipeline.domains import conversations, prices, products, rules
from helio_pipeline.domains.base import Domain, registry

DOMAINS: dict[str, Domain] = registry(
    products.DOMAIN,
    prices.DOMAIN,
    rules.DOMAIN,
    conversations.DOMAIN,
)

__all__ = ["DOMAINS", "Domain", "registry"]
