"""A bounded cache of derived facts, one per catalog (keyed on the catalog's content digest).

Solving repeats the same questions (which builds pass for this target, which requirements hold on
this platform); the answers depend only on the catalog and the question, so they are kept. Keys are
values (names, versions, targets), never object identities. Each catalog's cache holds at most
:data:`MAX_ENTRIES` answers (the oldest half is dropped when full), and at most
:data:`MAX_CATALOGS` catalogs are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from itertools import islice
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from ..catalog import Catalog

T = TypeVar("T")
MAX_ENTRIES = 100_000
MAX_CATALOGS = 4


class FactCache:
    """Answers keyed on hashable values; bounded (first in, first out, half at a time)."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._data: dict[Hashable, Any] = {}

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached answer for ``key``, computing (and keeping) it on the first request."""
        try:
            value: T = self._data[key]
            return value
        except KeyError:
            pass
        value = compute()
        if len(self._data) >= self.max_entries:
            for old in list(islice(self._data, self.max_entries // 2)):
                del self._data[old]
        self._data[key] = value
        return value

    def __len__(self) -> int:
        return len(self._data)


_CACHES: dict[str, FactCache] = {}


def for_catalog(cat: Catalog) -> FactCache:
    """The cache of derived facts of ``cat`` (by content, so a reloaded catalog shares it)."""
    try:
        return _CACHES[cat.digest]
    except KeyError:
        if len(_CACHES) >= MAX_CATALOGS:
            del _CACHES[next(iter(_CACHES))]
        cache = _CACHES[cat.digest] = FactCache()
        return cache


def memo(cat: Catalog, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, remembered for ``cat`` under ``key``."""
    return for_catalog(cat).get(key, compute)
