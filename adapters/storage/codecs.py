"""Core values to and from the JSON the database keeps, through pydantic.

A `pydantic.TypeAdapter` over each frozen dataclass of `core.models` reads and writes
it field by field (datetimes as ISO 8601, tuples as lists, enums as their values), so a
new field needs no code here. The stored shapes stay those earlier versions wrote, so
their rows decode and they can decode ours (instances of two versions may share a
database during an upgrade). That takes three adjustments, each made on plain data
just before encoding ends or decoding starts:

- cached candidates keep their reasons as `[kind, text]` pairs;
- an outbox digest keeps its cost as `[requests, posts_read, users_read, usd]`;
- an outbox digest's candidates keep only what a digest shows (no sample posts);
- a candidate's fields added later (`latest_post_at`) are written only when set.

Rate-limit headers are never stored: they are only true for the moment of the request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from pydantic import TypeAdapter

from core.models import (
    AccountNotice,
    Digest,
    FoundCandidates,
    Notice,
    PostCounts,
    ReasonCount,
    RejectedOperator,
    SearchPage,
    TierAlert,
    TimelinePage,
)
from core.outbox import KIND_ALERT, KIND_DIGEST, KIND_NOTICE, notice_kind
from core.ports import Cached, CachedT

Json = dict[str, Any]

_NO_RATE_LIMIT = {"rate_limit"}

# -- the per-day search cache ------------------------------------------------------------

_CACHED: dict[type[Any], TypeAdapter[Any]] = {
    kind: TypeAdapter(kind)
    for kind in (SearchPage, TimelinePage, PostCounts, FoundCandidates, RejectedOperator)
}


def _adapter(kind: type[Any]) -> TypeAdapter[Any]:
    try:
        return _CACHED[kind]
    except KeyError:
        raise TypeError(f"{kind.__name__} is not cached") from None


# Candidate fields newer than the stored shape: left out while unset (None), so rows
# without them stay exactly as earlier versions wrote them.
_CANDIDATE_LATER = ("latest_post_at",)


def _unset_left_out(candidates: Sequence[Json]) -> None:
    for candidate in candidates:
        for name in _CANDIDATE_LATER:
            if candidate.get(name, 0) is None:
                del candidate[name]


def _reasons_as_pairs(found: Json) -> Json:
    for candidate in found.get("candidates", ()):
        candidate["reasons"] = [[r["kind"], r["text"]] for r in candidate.get("reasons", ())]
    _unset_left_out(found.get("candidates", ()))
    return found


def _reasons_from_pairs(found: Mapping[str, Any]) -> Json:
    def reasons(pairs: Sequence[Any]) -> list[Any]:
        return [{"kind": r[0], "text": r[1]} if isinstance(r, list | tuple) else r for r in pairs]

    return {
        **found,
        "candidates": [
            {**c, "reasons": reasons(c.get("reasons", ()))} for c in found.get("candidates", ())
        ],
    }


def encode_cached(value: Cached) -> Json:
    """A cacheable value as the JSON object stored in `search_cache.payload`."""
    exclude = None if isinstance(value, FoundCandidates | RejectedOperator) else _NO_RATE_LIMIT
    data = cast(Json, _adapter(type(value)).dump_python(value, mode="json", exclude=exclude))
    return _reasons_as_pairs(data) if isinstance(value, FoundCandidates) else data


def decode_cached(kind: type[CachedT], payload: Mapping[str, Any]) -> CachedT:
    """The inverse of `encode_cached`; raises `pydantic.ValidationError` (a ValueError)."""
    data = _reasons_from_pairs(payload) if kind is FoundCandidates else payload
    return cast(CachedT, _adapter(kind).validate_python(data))


# -- outbox notices ----------------------------------------------------------------------

_NOTICES: dict[str, TypeAdapter[Any]] = {
    KIND_ALERT: TypeAdapter(TierAlert),
    KIND_NOTICE: TypeAdapter(AccountNotice),
    KIND_DIGEST: TypeAdapter(Digest),
}
# What a digest's candidate keeps: the rest is evidence only a search result shows.
_DIGEST_CANDIDATE_DROPS = {
    "niche_posts",
    "verified_on",
    "verified_on_niche",
    "mentioned_by",
    "small_sample",
    "sample_posts",
}
_COST_FIELDS = ("requests", "posts_read", "users_read", "usd")


def encode_notice(notice: Notice) -> Json:
    """A notice as JSON-safe data for the outbox's payload column."""
    kind = notice_kind(notice)
    if kind != KIND_DIGEST:
        return cast(Json, _NOTICES[kind].dump_python(notice, mode="json"))
    data = cast(
        Json,
        _NOTICES[kind].dump_python(
            notice, mode="json", exclude={"candidates": {"__all__": _DIGEST_CANDIDATE_DROPS}}
        ),
    )
    data["cost"] = [data["cost"][name] for name in _COST_FIELDS]
    _unset_left_out(data.get("candidates", ()))
    return data


def decode_notice(kind: str, data: Mapping[str, Any]) -> Notice:
    """The inverse of `encode_notice`; raises ValueError for what it cannot read."""
    adapter = _NOTICES.get(kind)
    if adapter is None:
        raise ValueError(f"unknown outbox kind {kind!r}")
    if kind == KIND_DIGEST:
        cost = data.get("cost") or (0, 0, 0, 0.0)
        if isinstance(cost, list | tuple):
            cost = dict(zip(_COST_FIELDS, cost, strict=True))
        data = {**data, "cost": cost}
    return cast(Notice, adapter.validate_python(data))


# -- follower audits ---------------------------------------------------------------------

_REASON_COUNTS: TypeAdapter[tuple[ReasonCount, ...]] = TypeAdapter(tuple[ReasonCount, ...])


def encode_reason_counts(reasons: Sequence[ReasonCount]) -> list[Json]:
    """An audit's top reasons for `audits.top_reasons`: `[{"code", "text", "count"}]`."""
    return cast(list[Json], _REASON_COUNTS.dump_python(tuple(reasons), mode="json"))


def decode_reason_counts(data: Sequence[Any] | None) -> tuple[ReasonCount, ...]:
    """The inverse of `encode_reason_counts` (entries that are not objects are skipped)."""
    return _REASON_COUNTS.validate_python([r for r in data or () if isinstance(r, dict)])
