"""A marketplace's category tree for mapping our categories: fetched through the account's
adapter, cached per account, searched by words (any case, Turkish and Russian letters
included), and a leaf's attributes with the values the marketplace allows.

What the sync fills from the product itself (title, barcode, brand…) is never asked of a
mapping (each adapter says which: ``filled_by_sync``).
"""

import hashlib
import re
import unicodedata
from typing import Any

from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketplaces.adapters.base import Category, CategoryAttribute, adapter_class
from marketplaces.client import MarketplaceError
from marketplaces.models import MarketplaceAccount
from marketplaces.services.sync import adapter_for
from meschain.errors import DomainError, ErrorCode, NotFound, ValidationFailed

#: how long a fetched tree (and a leaf's attributes) is kept
CACHE_SECONDS = 24 * 60 * 60
#: search results returned at most
MAX_RESULTS = 50
MAX_QUERY_LENGTH = 100
PATH_SEPARATOR = " › "
CATEGORY_ID = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")


class MarketplaceUnavailable(DomainError):
    """The marketplace did not give the categories (down, refusing the credentials…)."""

    code = ErrorCode.SERVICE_UNAVAILABLE
    default_message = gettext_lazy("The marketplace did not answer.")


def fold(text: str) -> str:
    """Text compared without case: "TİŞÖRT", "tişört" and "TIŞÖRT" fold alike (Turkish
    dotted/dotless i are one letter here), "ТИШ" finds "тиш", "ё" finds "е"."""
    text = text.replace("İ", "i").casefold().replace("ı", "i").replace("ё", "е")
    return "".join(c for c in unicodedata.normalize("NFD", text) if c != "\u0307")


def _fingerprint(account: MarketplaceAccount) -> str:
    """What the tree depends on besides the account: where it is fetched from."""
    options = (account.settings or {}).get("adapter_options") or {}
    source = f"{account.marketplace}|{account.base_url}|{sorted(options.items())!r}"
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def _tree_key(account: MarketplaceAccount) -> str:
    return f"mp:categories:v1:{account.pk}:{_fingerprint(account)}"


def _attributes_key(account: MarketplaceAccount, category_id: str) -> str:
    digest = hashlib.sha256(category_id.encode()).hexdigest()[:16]
    return f"mp:category-attributes:v1:{account.pk}:{_fingerprint(account)}:{digest}"


def _unavailable(account: MarketplaceAccount, exc: MarketplaceError) -> MarketplaceUnavailable:
    return MarketplaceUnavailable(
        _("%(marketplace)s did not give its categories: %(message)s")
        % {"marketplace": account.get_marketplace_display(), "message": exc.message},
        details={"marketplace_status": [str(exc.status or "")]} if exc.status else None,
    )


def flatten(roots: list[Category]) -> list[dict[str, str]]:
    """Every leaf with its full path ("Moda › Giyim › Tişört"), in tree order."""
    leaves: list[dict[str, str]] = []

    def walk(node: Category, trail: tuple[str, ...]) -> None:
        path = (*trail, node.name)
        if node.is_leaf:
            leaves.append({"id": str(node.id), "name": node.name, "path": PATH_SEPARATOR.join(path)})
        for child in node.children:
            walk(child, path)

    for root in roots:
        walk(root, ())
    return leaves


def category_tree(account: MarketplaceAccount, *, refresh: bool = False) -> dict[str, Any]:
    """The account's leaves ``{"leaves": [{id, name, path}], "fetched_at"}``: from the cache
    (kept 24 h per account) unless `refresh`. Raises MarketplaceUnavailable."""
    key = _tree_key(account)
    if not refresh:
        cached = cache.get(key)
        if cached is not None:
            return cached
    try:
        with adapter_for(account) as adapter:
            roots = adapter.fetch_categories()
    except MarketplaceError as exc:
        raise _unavailable(account, exc) from exc
    tree = {"leaves": flatten(roots), "fetched_at": timezone.now().isoformat()}
    cache.set(key, tree, CACHE_SECONDS)
    return tree


def clean_query(query: Any) -> str:
    """A search text, or ValidationFailed (empty, too long, control characters)."""
    text = " ".join(str(query or "").split())
    if not text:
        raise ValidationFailed(details={"q": [_("Type a word of the category's name.")]})
    if len(text) > MAX_QUERY_LENGTH or any(unicodedata.category(c) == "Cc" for c in text):
        message = _("Type at most %(count)d letters, without control characters.") % {
            "count": MAX_QUERY_LENGTH
        }
        raise ValidationFailed(details={"q": [message]})
    return text


def clean_category_id(category_id: Any) -> str:
    text = str(category_id or "").strip()
    if not CATEGORY_ID.match(text):
        raise ValidationFailed(details={"category_id": [_("Not a marketplace category id.")]})
    return text


def search_categories(account: MarketplaceAccount, query: Any, *, limit: int = MAX_RESULTS,
                      refresh: bool = False) -> list[dict[str, str]]:  # fmt: skip
    """Leaves whose path holds every word of `query` (any case): those whose own name
    matches first, then by path. Raises ValidationFailed, MarketplaceUnavailable."""
    words = fold(clean_query(query)).split()
    found = []
    for leaf in category_tree(account, refresh=refresh)["leaves"]:
        path = fold(leaf["path"])
        if all(word in path for word in words):
            name = fold(leaf["name"])
            rank = 0 if name.startswith(words[0]) else 1 if all(w in name for w in words) else 2
            found.append((rank, path, leaf))
    found.sort(key=lambda entry: (entry[0], entry[1]))
    return [leaf for _rank, _path, leaf in found[:limit]]


def find_leaf(account: MarketplaceAccount, category_id: Any, *, refresh: bool = False) -> dict[str, str]:
    """The leaf with this id, or NotFound (a parent category is not a leaf)."""
    wanted = clean_category_id(category_id)
    for leaf in category_tree(account, refresh=refresh)["leaves"]:
        if leaf["id"] == wanted:
            return leaf
    raise NotFound(
        _("%(marketplace)s has no leaf category %(id)s.")
        % {"marketplace": account.get_marketplace_display(), "id": wanted},
        details={"category_id": [_("Choose a leaf category of the marketplace's tree.")]},
    )


def _attribute_data(account: MarketplaceAccount, attribute: CategoryAttribute) -> dict[str, Any]:
    adapter = adapter_class(account.marketplace)
    by_name = adapter.mapping_values_by_name
    attribute_id = str(attribute.id)
    by_sync = adapter.filled_by_sync(attribute_id, account.settings or {})
    values = [
        {"value": value.get("name") if by_name else value.get("id"), "label": str(value.get("name") or "")}
        for value in attribute.values
        if value.get("id") is not None or value.get("name")
    ]
    return {
        "id": attribute_id, "name": attribute.name, "required": attribute.required,
        "filled_by_sync": by_sync, "needed": attribute.required and not by_sync,
        "allow_custom": attribute.allow_custom, "allow_multiple": attribute.allow_multiple,
        "varianter": attribute.varianter, "values": values,
    }  # fmt: skip


def category_attributes(account: MarketplaceAccount, category_id: Any, *,
                        refresh: bool = False) -> list[dict[str, Any]]:  # fmt: skip
    """The attributes of a leaf: those a mapping must give first (``needed``), each with
    the values the marketplace allows (``[{value, label}]``, empty: free text). Cached 24 h.
    Raises ValidationFailed, NotFound (not a leaf), MarketplaceUnavailable."""
    leaf = find_leaf(account, category_id, refresh=refresh)
    key = _attributes_key(account, leaf["id"])
    cached = None if refresh else cache.get(key)
    if cached is not None:
        return cached
    category: int | str = int(leaf["id"]) if leaf["id"].isdigit() else leaf["id"]
    try:
        with adapter_for(account) as adapter:
            attributes = adapter.fetch_category_attributes(category)
    except MarketplaceError as exc:
        raise _unavailable(account, exc) from exc
    data = [_attribute_data(account, a) for a in attributes]
    data.sort(key=lambda a: not a["needed"])  # stable: the marketplace's order otherwise
    cache.set(key, data, CACHE_SECONDS)
    return data


def _given(value: Any) -> bool:
    return value not in (None, "", [], {}) and not (isinstance(value, str) and not value.strip())


def validate_mapping(account: MarketplaceAccount, category_id: Any,
                     attribute_values: dict[str, Any]) -> dict[str, str] | None:  # fmt: skip
    """Check a mapping against the marketplace's tree: the category is a leaf, every needed
    attribute has a value, and values of closed lists are allowed ones. Returns the leaf,
    or None when the marketplace cannot be asked now (nothing is checked then). Raises
    ValidationFailed with the fields at fault."""
    try:
        leaf = find_leaf(account, category_id)
    except NotFound as exc:
        raise ValidationFailed(details={"marketplace_category_id": [str(exc.message)]}) from exc
    except MarketplaceUnavailable:
        return None
    try:
        attributes = category_attributes(account, leaf["id"])
    except MarketplaceUnavailable:
        return leaf
    values = {str(k): v for k, v in (attribute_values or {}).items()}
    errors = []
    missing = [a for a in attributes if a["needed"] and not _given(values.get(a["id"]))]
    if missing:
        errors.append(_("%(marketplace)s requires these attributes in %(category)s: %(names)s.") % {
            "marketplace": account.get_marketplace_display(), "category": leaf["name"],
            "names": ", ".join(f"{a['name']} ({a['id']})" for a in missing)})  # fmt: skip
    for attribute in attributes:
        value = values.get(attribute["id"])
        if not _given(value) or attribute["allow_custom"] or not attribute["values"]:
            continue
        allowed = {str(v["value"]) for v in attribute["values"]}
        chosen = value if isinstance(value, list) else [value]
        wrong = [str(v) for v in chosen if str(v) not in allowed]
        if wrong:
            errors.append(_("%(name)s (%(id)s) does not allow %(values)s.") % {
                "name": attribute["name"], "id": attribute["id"], "values": ", ".join(wrong)})  # fmt: skip
    if errors:
        raise ValidationFailed(details={"attribute_values": errors})
    return leaf
