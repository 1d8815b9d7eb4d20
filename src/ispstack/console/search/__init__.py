"""The console's global search: one box, results grouped by kind.

A *provider* searches one kind of thing (customers, subscriptions, invoices,
...) in one query, scoped to the user's tenant with ``core.tenancy.scope``,
and answers hits ranked exact (0), prefix (1), fragment (2), fuzzy (3).
Providers are registered in ``PROVIDERS`` in the order their groups show;
``search()`` runs those the user may use (``Provider.perms``) and orders the
groups so that a group with an exact hit comes first.

To search a new kind (device MAC or serial numbers once devices exist):
write a class with ``key``, ``label``, ``perms`` and ``find(query, user,
limit)`` in ``providers.py`` (or the owning area's module) and call
``register(YourProvider())``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Protocol

from ispstack.console.search.query import MAX_QUERY_LENGTH, SearchQuery, parse_query

__all__ = [
    "EXACT",
    "FRAGMENT",
    "FUZZY",
    "MAX_QUERY_LENGTH",
    "PREFIX",
    "PROVIDERS",
    "Hit",
    "Group",
    "Provider",
    "SearchQuery",
    "Results",
    "parse_query",
    "register",
    "search",
]

EXACT, PREFIX, FRAGMENT, FUZZY = 0, 1, 2, 3


@dataclass(frozen=True)
class Hit:
    """One result: ``title`` (what matched, e.g. an invoice number), ``detail``
    (the customer it belongs to, masked where secret), ``url`` (the customer
    360 page), ``rank`` (EXACT..FUZZY, lower first)."""

    title: str
    detail: str
    url: str
    rank: int


@dataclass
class Group:
    """The hits of one provider: ``key``, ``label`` and up to ``limit`` hits;
    ``more`` when further hits were left out."""

    key: str
    label: Any
    hits: list[Hit]
    more: bool = False

    @property
    def best_rank(self) -> int:
        """The rank of the group's best hit."""
        return min((hit.rank for hit in self.hits), default=FUZZY + 1)


@dataclass
class Results:
    """A search's answer: the parsed ``query`` and its non-empty ``groups``."""

    query: SearchQuery
    groups: list[Group] = field(default_factory=list)

    @property
    def count(self) -> int:
        """Hits shown, across the groups."""
        return sum(len(group.hits) for group in self.groups)


class Provider(Protocol):
    """Searches one kind of thing (see the module docstring).

    A provider may set ``stage`` (default 1): providers run by stage. Stage
    0 is for exact identifier lookups through B-tree indexes (cheap): an
    exact hit there (or any hit, for a text that can't be a name) sets
    ``SearchQuery.identified`` for the later stages, whose fragment searches
    then stand aside. The groups show in
    registration order (after the best rank), whatever the stage.
    """

    key: str
    label: Any
    perms: tuple[str, ...]

    def find(self, query: SearchQuery, user: Any, limit: int) -> list[Hit]:
        """At most ``limit`` hits for ``query`` among the rows ``user`` may
        see, best first; one database query (or none when the query cannot
        match this kind)."""
        ...


PROVIDERS: list[Provider] = []


def register(provider: Provider) -> Provider:
    """Add ``provider`` to the search (after those registered before it); a
    provider with the same ``key`` is replaced in place."""
    for index, existing in enumerate(PROVIDERS):
        if existing.key == provider.key:
            PROVIDERS[index] = provider
            return provider
    PROVIDERS.append(provider)
    return provider


def search(user: Any, raw: str, *, limit: int = 10) -> Results:
    """Search ``raw`` for ``user``: up to ``limit`` hits per group, in groups
    the user's permissions allow. One query per provider that can match."""
    from ispstack.console.search import providers  # noqa: F401  (registers the built-in ones)

    tenant = getattr(user, "tenant", None)
    query = parse_query(raw, getattr(tenant, "country", "") or "")
    results = Results(query=query)
    if not query.text:
        return results
    allowed = [provider for provider in PROVIDERS if user.has_perms(provider.perms)]
    order = {provider.key: index for index, provider in enumerate(allowed)}
    # By stage: identifier lookups (B-tree, exact) first, then usernames,
    # then names and emails. Once a stage found what the text names (an
    # invoice number, an IP; anything, for a text with digits or "@"), the
    # fragment searches of the later stages (trigram scans, the costly part)
    # are skipped.
    allowed.sort(key=lambda provider: getattr(provider, "stage", 1))
    for provider in allowed:
        hits = provider.find(query, user, limit + 1)
        if hits:
            results.groups.append(
                Group(provider.key, provider.label, hits[:limit], more=len(hits) > limit)
            )
            stage = getattr(provider, "stage", 1)
            if (stage == 0 and hits[0].rank == EXACT) or not query.looks_like_name:
                # Found what the text names: an identifier exactly, or
                # anything for a text that can't be a name (digits, "@"),
                # e.g. usernames beginning with it; the customer is reached
                # through those hits.
                query = dataclasses.replace(query, identified=True)
    results.groups.sort(key=lambda group: (group.best_rank, order[group.key]))
    return results
