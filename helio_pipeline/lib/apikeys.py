"""API keys for ``helio serve``: only their hashes are stored, each with a name, scopes and an
optional owner.

A key is ``helio_`` plus 32 random bytes (URL-safe base64), shown once by ``helio apikey create``.
What the server keeps is one line per key, in the file named by ``HELIO_API_KEYS_FILE`` and/or
in ``HELIO_API_KEYS`` (lines or ``;``-separated entries)::

    sha256:<64 hex digits> name=assistant scopes=catalog,conversations owner=cliente-001

SHA-256 without salt is enough here: a key carries 256 random bits, so its hash cannot be
reversed by guessing (a password would need a slow, salted hash). A presented key is hashed
and compared with every stored hash by ``hmac.compare_digest``, in constant time.

Scopes: ``catalog`` reads the domains without a tenant field (products, prices, rules),
``conversations`` the tenant domains and conversation memory. A key bound to an owner reads
that owner's data only: the owner comes from the key, never from the request.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from helio_pipeline.lib.errors import HelioError

SCOPES = ("catalog", "conversations")
KEY_PREFIX = "helio_"
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_NAME = re.compile(r"[A-Za-z0-9._@-]{1,64}")
_OWNER = re.compile(r"[^\s;#\x00-\x1f\x7f]{1,256}")


class KeyConfigError(HelioError):
    """The configured keys cannot be read (a bad line, a plaintext key, a missing file)."""


class KeyRejected(HelioError):
    """No key was presented, or the presented key is not one of the configured keys (401)."""


class ScopeDenied(HelioError):
    """The key is valid but may not read what the request asks for (403)."""


def scope_for(tenant_data: bool) -> str:
    """The scope that reads a domain: tenant data (conversations) or the shared catalog."""
    return "conversations" if tenant_data else "catalog"


def hash_key(key: str) -> str:
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class ApiKey:
    name: str
    digest: str
    scopes: frozenset[str]
    owner: str | None = None

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise ScopeDenied(f"key {self.name!r} lacks the {scope!r} scope")

    def owner_for(self, requested: str | None) -> str | None:
        """The owner a request may read: the key's own when it is bound to one (a request that
        names another owner is refused), else the one the request names."""
        if self.owner is None:
            return requested
        if requested is not None and requested != self.owner:
            raise ScopeDenied(f"key {self.name!r} is bound to another owner")
        return self.owner

    def entry(self) -> str:
        """The line to store for this key (its hash, never the key)."""
        line = f"{self.digest} name={self.name} scopes={','.join(sorted(self.scopes))}"
        return line + (f" owner={self.owner}" if self.owner else "")


# Allows everything: the server runs without keys (loopback only, see ``is_loopback``).
LOCAL_ACCESS = ApiKey(name="local (authentication off)", digest="", scopes=frozenset(SCOPES))


def create_key(name: str, scopes: list[str], owner: str | None = None) -> tuple[str, ApiKey]:
    """A new random key and its record; only the record's ``entry()`` is meant to be stored."""
    key = new_key()
    return key, _record(name, hash_key(key), scopes, owner, where="helio apikey create")


def _shown(value: str | None) -> str:
    """A configured value as an error may quote it: never what looks like a key."""
    if value and KEY_PREFIX in value:
        return "a value that looks like a key (not shown)"
    return repr(value)[:60]


def _record(name: str, digest: str, scopes: list[str], owner: str | None, where: str) -> ApiKey:
    if not _NAME.fullmatch(name or ""):
        raise KeyConfigError(f"{where}: a key name is 1-64 letters, digits or ._@- (got {_shown(name)})")
    unknown = sorted(set(scopes) - set(SCOPES))
    if not scopes or unknown:
        raise KeyConfigError(f"{where}: scopes are {', '.join(SCOPES)} (got {', '.join(scopes) or 'none'})")
    if owner is not None and not _OWNER.fullmatch(owner):
        raise KeyConfigError(f"{where}: an owner is 1-256 characters without spaces, ';' or '#' "
                             f"(got {_shown(owner)})")
    return ApiKey(name=name, digest=digest, scopes=frozenset(scopes), owner=owner)


def parse_entry(line: str, where: str) -> ApiKey:
    """One stored entry: ``sha256:<hex> name=N scopes=a,b [owner=O]``."""
    digest, *fields = line.split()
    if not _DIGEST.fullmatch(digest):
        hint = " (that looks like a key itself: store only its hash, see helio apikey create)" \
            if digest.startswith(KEY_PREFIX) else ""
        raise KeyConfigError(f"{where}: an entry starts with sha256:<64 lowercase hex digits>{hint}")
    values: dict[str, str] = {}
    for field in fields:
        name, sep, value = field.partition("=")
        if not sep or name not in ("name", "scopes", "owner") or name in values:
            # names the field only: a plaintext key pasted on the line must not reach the logs
            raise KeyConfigError(f"{where}: expected name=..., scopes=... and optionally owner=..., got "
                                 f"{(name if sep else 'a value without =')!r:.40}")
        values[name] = value
    if "name" not in values or "scopes" not in values:
        raise KeyConfigError(f"{where}: an entry needs name=... and scopes=...")
    return _record(values["name"], digest, [s for s in values["scopes"].split(",") if s], values.get("owner"), where)


def parse_entries(text: str, source: str) -> list[ApiKey]:
    keys = []
    for number, line in enumerate(text.splitlines(), start=1):
        for part in line.split(";"):
            part = part.split("#", 1)[0].strip()
            if part:
                keys.append(parse_entry(part, f"{source} line {number}"))
    return keys


class KeyRing:
    """The configured keys; ``verify`` finds the one a request presents."""

    def __init__(self, keys: list[ApiKey], source: str = "keys"):
        if not keys:
            raise KeyConfigError(f"{source} holds no keys; create one with: helio apikey create --name NAME "
                                 "--scope catalog")
        for field in ("digest", "name"):
            seen = [getattr(k, field) for k in keys]
            twice = sorted({v for v in seen if seen.count(v) > 1})
            if twice:
                raise KeyConfigError(f"{source}: the same {'key' if field == 'digest' else 'name'} appears twice"
                                     + ("" if field == "digest" else f" ({', '.join(twice)})"))
        self.keys = list(keys)
        self.source = source

    def verify(self, presented: str | None) -> ApiKey:
        if not presented:
            raise KeyRejected("an API key is required (Authorization: Bearer <key> or X-API-Key: <key>)")
        digest = hash_key(presented)
        found = None
        for key in self.keys:  # every entry is compared, so the time does not tell which one matched
            if hmac.compare_digest(key.digest, digest):
                found = key
        if found is None:
            raise KeyRejected("unknown API key")
        return found


def load_keys(file_name: str | None = None, inline: str | None = None) -> KeyRing | None:
    """The keys configured (``HELIO_API_KEYS_FILE`` names ``file_name``, ``HELIO_API_KEYS`` holds
    ``inline``), or None when neither is. A source that is configured but unreadable,
    malformed or empty is an error, never a silent "authentication off"."""
    file_name = (file_name or "").strip()
    inline = inline or ""
    if not file_name and not inline.strip():
        return None
    keys: list[ApiKey] = []
    sources = []
    if file_name:
        try:
            text = Path(file_name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise KeyConfigError(f"HELIO_API_KEYS_FILE={file_name}: cannot read it ({exc})") from None
        keys += parse_entries(text, f"HELIO_API_KEYS_FILE={file_name}")
        sources.append(f"HELIO_API_KEYS_FILE={file_name}")
    if inline.strip():
        keys += parse_entries(inline, "HELIO_API_KEYS")
        sources.append("HELIO_API_KEYS")
    return KeyRing(keys, " and ".join(sources))


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the server reachable from this machine only."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def authorize_search(key: ApiKey, domains: list[str] | None, filters: dict, owner: str | None,
                     tenant_fields: dict[str, str | None]) -> tuple[dict, list[str] | None]:
    """The filters and domains a search may run with, given the key that asks.

    ``owner`` (the request's owner_id) and a filter on a tenant field must agree; a key bound
    to an owner reads that owner only, and supplies it when the request names none.
    ``tenant_fields`` maps every domain to its tenant field (None for shared data); each
    domain the search names needs the key's scope for it; with no domain named, the search
    reaches the default set that the key may read (a conversations-only key searches its
    owner's conversations; None: every default domain)."""
    from helio_pipeline.lib.filters import QueryError

    filters = dict(filters)
    reads_tenants = scope_for(True) in key.scopes
    for field in sorted({f for f in tenant_fields.values() if f}):
        given = filters.get(field)
        if owner is not None:
            if given is not None and given != owner:
                raise QueryError(f"owner_id and the filter on {field!r} name different owners")
            given = owner
        if given is not None:
            filters[field] = key.owner_for(given)
        elif reads_tenants and key.owner is not None and (
                domains is None or any(tenant_fields.get(d) == field for d in domains)):
            filters[field] = key.owner
    if domains is not None:
        for name in dict.fromkeys(domains):
            if name in tenant_fields:
                key.require(scope_for(tenant_fields[name] is not None))
        return filters, domains
    reached = [name for name, field in tenant_fields.items() if field is None or filters.get(field) is not None]
    for name in reached:  # an owner named by the request asks for its conversations: the scope is required
        if tenant_fields[name] is not None:
            key.require(scope_for(True))
    readable = [name for name in reached if tenant_fields[name] is not None or scope_for(False) in key.scopes]
    if not readable:
        key.require(scope_for(False))  # says which scope the key lacks
    return filters, None if readable == reached else readable
