"""Request fields the vendor's current pages document but the official client lacks.

Why a second table: ``vendor_shapes.json`` is generated from the official client's models
(``dataforseo-client`` 2.1.10) and the contract suite regenerates it on every run, so it
cannot hold a field the client does not know. The vendor's pages are newer than the client
(DESIGN.md, "Vendor truth": where the pages are newer, the pages win), and a caller who
copies the vendor's own example must not get 40506 "Unknown Fields in POST Data" from
the emulator. Every row here names the page and quotes the sentence or example it comes
from; a field without such a quote does not belong here.

What was compared: the stored copies of the vendor's ``task_post`` pages for the endpoints
the emulator serves (SERP Google organic, maps, local_finder, news, images; Bing organic;
Keywords Data; On-Page). The stored copies give each page's opening (description and the
cURL example), not always its field table, so only fields shown there could be compared.
The Local Finder example carries two fields the client model lacks; every other example
seen uses only fields the client already has.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import attrs

from .. import serp_types
from . import vendor_shapes

__all__ = ["EXTRA_FIELDS", "ExtraField", "extra_fields", "kind_of", "post_fields"]


@attrs.frozen(slots=True, kw_only=True)
class ExtraField:
    """One documented request field: its JSON type (as `vendor_shapes.matches` reads it),
    the values the sources allow (``None``: the sources list none, only the type is
    checked), whether it is required, and the page and words it comes from."""

    json_type: str
    allowed: tuple[object, ...] | None = None
    required: bool = False
    url: str
    quote: str
    corroboration: str = ""


_LOCAL_FINDER_PAGE = "https://docs.dataforseo.com/v3/serp/google/local_finder/task_post/"
#: The vendor's cURL example on that page, verbatim (the body the tests post).
LOCAL_FINDER_EXAMPLE = (
    '[{"language_code": "en", "location_code": 2840, "keyword": "local nail services", '
    '"min_rating": 4.5, "time_filter": "monday"}]'
)

#: ``{kind: {field: ExtraField}}``: fields to accept on top of the generated table.
EXTRA_FIELDS: Mapping[str, Mapping[str, ExtraField]] = MappingProxyType(
    {
        "serp/google/local_finder": MappingProxyType(
            {
                "min_rating": ExtraField(
                    json_type="float",
                    url=_LOCAL_FINDER_PAGE,
                    quote=f"cURL example: {LOCAL_FINDER_EXAMPLE}",
                    corroboration=(
                        "docs.rs data-for-seo 0.3.0 SerpApiGoogleLocalFinderTaskPostRequest "
                        "has min_rating (typed as an integer there; the vendor's example "
                        "posts 4.5, so any JSON number is accepted)"
                    ),
                ),
                "time_filter": ExtraField(
                    json_type="str",
                    url=_LOCAL_FINDER_PAGE,
                    quote=f"cURL example: {LOCAL_FINDER_EXAMPLE}",
                    corroboration=(
                        "docs.rs data-for-seo 0.3.0 SerpApiGoogleLocalFinderTaskPostRequest "
                        "has time_filter: Option<String>"
                    ),
                ),
            }
        ),
    }
)


def extra_fields(kind: str) -> Mapping[str, ExtraField]:
    """The documented fields of ``kind``'s task_post that the client model lacks."""
    return EXTRA_FIELDS.get(kind, MappingProxyType({}))


def post_fields(kind: str) -> dict[str, tuple[str, bool]] | None:
    """``{field: (json type, required)}`` of ``kind``'s task_post: the generated table
    (`vendor_shapes.post_fields`) and this one together; None where neither knows it."""
    fields = vendor_shapes.post_fields(kind)
    extras = extra_fields(kind)
    if fields is None and not extras:
        return None
    merged = dict(fields or {})
    merged.update({name: (f.json_type, f.required) for name, f in extras.items()})
    return merged


def kind_of(
    serp: serp_types.SerpType | None, documented: Mapping[str, tuple[str, bool]] | None
) -> str | None:
    """The endpoint a `check_post` call is about, from what the router hands it.

    The router passes the endpoint's `serp_types` row and its generated field table, not its
    name; a SERP row names its endpoint, and otherwise a kind of this table whose
    generated row is exactly ``documented`` is the one (the tests check that every kind
    here is found this way, and only it).
    """
    if serp is not None:
        return serp.kind
    if documented is None:
        return None
    wanted = dict(documented)
    for kind in EXTRA_FIELDS:
        if vendor_shapes.post_fields(kind) == wanted:
            return kind
    return None
