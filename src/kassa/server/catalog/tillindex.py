"""The till's search index, built on the server once per catalog version for every till.

The terminal searches its catalog through a columnar index (kassa/terminal/domain/search.js,
`StoredIndex`) that it used to build itself from the product pages: normalising every name,
splitting its words, sorting, postings. At a few hundred thousand products that work was
most of a till's cold start. Here the same index is built from the same products, in the
same order and with the same normalisation, and sent in the binary form
kassa/terminal/sync/catalog_snapshot.js reads (`GET catalog/index`): typed arrays' bytes and
UTF-8 strings, turned back into the index with no work per product.

Exactly the index domain/search.js builds, byte for byte
(tests/server/catalog/test_tillindex.py builds one catalog on both sides and compares):
- names normalised as normalizeText/normalName: lowercased (Python's str.lower and JS's
  toLowerCase are both Unicode's full lowercase mapping with the final sigma), on non-ASCII
  text NFD with the marks (category M) dropped and FOLDS applied, runs of anything but
  letters and numbers (categories L, N) made one space, trimmed; a leading space;
- strings sorted as JS compares them, by UTF-16 code unit (Python compares code points:
  a character above U+FFFF sorts after U+E000–U+FFFF here and before it in JS, so such
  strings are compared through their surrogate pairs);
- a string column's offsets count UTF-16 code units (JS string lengths);
- references trimmed as JS's trim (its whitespace, not Python's) and lowercased; barcodes
  as domain/barcode.js normalizeBarcode (12 ASCII digits get a leading 0).
The rule is also kept as worked cases in tests/shared/search_cases.json, run by pytest and
node --test.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from array import array
from collections.abc import Iterable, Mapping
from itertools import accumulate
from typing import Any

INDEX_FORMAT = 2  # domain/search.js INDEX_FORMAT
MAGIC = b"KIX1"

FOLDS = str.maketrans(
    {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ð": "d", "ł": "l", "ı": "i", "þ": "th"}
)
BASE_KEYS = frozenset({"id", "name", "ref", "barcodes"})
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_SPACES = re.compile(r" +")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_TWELVE_DIGITS = re.compile(r"[0-9]{12}")
# String.prototype.trim: WhiteSpace (tab, VT, FF, space, NBSP, ZWNBSP, category Zs) and
# LineTerminator. Python's str.strip differs (it strips U+001C–U+001F and U+0085, not U+FEFF).
JS_WHITESPACE = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)

_kept: dict[str, str] = {}


def _letter_or_number(char: str) -> str:
    """The character if it is a letter or a number (\\p{L}, \\p{N}), else a space."""
    found = _kept.get(char)
    if found is None:
        found = char if unicodedata.category(char)[0] in "LN" else " "
        _kept[char] = found
    return found


def normalize_text(text: str) -> str:
    """domain/search.js normalizeText: "Crème  Brûlée (2×)" → "creme brulee 2"."""
    folded = text.lower()
    if not folded.isascii():
        decomposed = unicodedata.normalize("NFD", folded)
        folded = "".join(c for c in decomposed if unicodedata.category(c)[0] != "M")
        folded = folded.translate(FOLDS)
        return _SPACES.sub(" ", "".join(map(_letter_or_number, folded))).strip(" ")
    return _NOT_ALNUM.sub(" ", folded).strip(" ")


def normal_name(name: str) -> str:
    """domain/search.js normalName: normalised, with a leading space ("" when empty)."""
    text = normalize_text(name)
    return " " + text if text else ""


def normalize_ref(ref: str) -> str:
    return ref.strip(JS_WHITESPACE).lower()


def normalize_barcode(code: str) -> str:
    """domain/barcode.js normalizeBarcode: UPC-A (12 digits) and EAN-13 are one key."""
    trimmed = code.strip(JS_WHITESPACE)
    return "0" + trimmed if _TWELVE_DIGITS.fullmatch(trimmed) else trimmed


def js_order_key(text: str) -> str:
    """A key whose code-point order is JS's UTF-16 order of the strings: characters above
    U+FFFF as their surrogate pairs."""
    if not _ASTRAL.search(text):
        return text
    return "".join(map(_as_units, text))


def _as_units(char: str) -> str:
    point = ord(char)
    if point < 0x10000:
        return char
    point -= 0x10000
    return chr(0xD800 + (point >> 10)) + chr(0xDC00 + (point & 0x3FF))


def _utf16_length(text: str) -> int:
    return len(text) + len(_ASTRAL.findall(text)) if not text.isascii() else len(text)


def string_column(strings: list[str]) -> dict[str, Any]:
    """domain/search.js stringColumn: one string and where each piece starts (UTF-16)."""
    offsets = array("i", [0])
    offsets.extend(accumulate(map(_utf16_length, strings)))
    return {"text": "".join(strings), "offsets": offsets}


def build_index(products: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The StoredIndex of these products (the API's ProductOut dicts, in the order a till
    receives them), as domain/search.js createIndexBuilder + storableSearchIndex build it:
    typed arrays as array("d" | "i" | "B"), string columns as {"text", "offsets"}."""
    ids = array("d")
    names: list[str] = []
    refs: list[str] = []
    ref_null = array("B")
    codes: list[str] = []
    codes_start = array("i", [0])
    norm: list[str] = []
    extras: dict[str, list[Any]] = {}
    word_rows: dict[str, list[int]] = {}
    ref_keys: list[str] = []
    ref_rows: list[int] = []
    barcode_keys: list[str] = []
    barcode_rows: list[int] = []
    ids_ascending = True
    others: list[tuple[str, list[Any]]] | None = None
    last_id = 0.0
    row = 0
    for product in products:
        if others is None:
            # The fields of the first product, as the till takes a page's first product's
            # (the server sends every product with the same fields).
            others = [(key, extras.setdefault(key, [])) for key in product if key not in BASE_KEYS]
        pk = product["id"]
        if row > 0 and pk <= last_id:
            ids_ascending = False
        last_id = pk
        ids.append(pk)
        name = product["name"]
        names.append(name)
        ref = product.get("ref")
        refs.append(ref if ref is not None else "")
        ref_null.append(1 if ref is None else 0)
        if ref:
            ref_keys.append(normalize_ref(ref))
            ref_rows.append(row)
        for code in product.get("barcodes") or ():
            codes.append(code)
            barcode_keys.append(normalize_barcode(code))
            barcode_rows.append(row)
        codes_start.append(len(codes))
        normal = normal_name(name)
        norm.append(normal)
        if normal:
            for word in normal[1:].split(" "):
                rows = word_rows.get(word)
                if rows is None:
                    word_rows[word] = [row]
                elif rows[-1] != row:  # a word twice in one name
                    rows.append(row)
        for key, column in others:
            column.append(product.get(key, _ABSENT))
        row += 1
    n = row
    # Each list of Python strings let go as soon as its column is made: at 1,000,000
    # products they are most of the build's memory.
    names_column = string_column(names)
    del names
    refs_column = string_column(refs)
    del refs
    codes_column = string_column(codes)
    del codes
    extra_columns = [_extra_column(key, values, n) for key, values in extras.items()]
    extras.clear()

    keys = [js_order_key(text) for text in norm]
    if ids_ascending:
        order_list = sorted(range(n), key=keys.__getitem__)  # stable: ties stay in id order
    else:
        order_list = sorted(range(n), key=lambda r: (keys[r], ids[r]))
    keys.clear()
    norm_column = string_column(norm)
    del norm
    order = array("i", order_list)
    rank = [0] * n
    for position, r in enumerate(order_list):
        rank[r] = position
    del order_list

    words = sorted(word_rows, key=js_order_key)
    word_start = array("i", [0])
    postings = array("i")
    for word in words:
        postings.extend(sorted([rank[r] for r in word_rows.pop(word)]))
        word_start.append(len(postings))
    words_column = string_column(words)
    del words

    sorted_ref_keys, sorted_ref_rows = _sorted_pairs(ref_keys, ref_rows, rank)
    del ref_keys, ref_rows
    ref_keys_column = string_column(sorted_ref_keys)
    del sorted_ref_keys
    sorted_code_keys, sorted_code_rows = _sorted_pairs(barcode_keys, barcode_rows, rank)
    del barcode_keys, barcode_rows, rank
    barcode_keys_column = string_column(sorted_code_keys)
    del sorted_code_keys
    id_order = None
    if not ids_ascending:
        id_order = array("i", sorted(range(n), key=ids.__getitem__))
    return {
        "format": INDEX_FORMAT,
        "count": n,
        "ids": ids,
        "idsAscending": ids_ascending,
        "idOrder": id_order,
        "names": names_column,
        "refs": refs_column,
        "refNull": ref_null,
        "codes": codes_column,
        "codesStart": codes_start,
        "extras": extra_columns,
        "norm": norm_column,
        "order": order,
        "words": words_column,
        "wordStart": word_start,
        "postings": postings,
        "refKeys": ref_keys_column,
        "refRows": sorted_ref_rows,
        "barcodeKeys": barcode_keys_column,
        "barcodeRows": sorted_code_rows,
    }


class _Absent:
    """A field a product does not have (JS's undefined)."""


_ABSENT: Any = _Absent()


def _sorted_pairs(
    keys: list[str], rows: list[int], rank: list[int]
) -> tuple[list[str], array[int]]:
    """domain/search.js sortedPairs: by key then name position, a row's repeated key once."""
    order_keys = [js_order_key(key) for key in keys]
    idx = sorted(range(len(keys)), key=lambda i: (order_keys[i], rank[rows[i]]))
    out_keys: list[str] = []
    out_rows = array("i")
    for i in idx:
        if out_keys and out_keys[-1] == keys[i] and out_rows[-1] == rows[i]:
            continue
        out_keys.append(keys[i])
        out_rows.append(rows[i])
    return out_keys, out_rows


def _extra_column(key: str, values: list[Any], n: int) -> dict[str, Any]:
    """domain/search.js extraColumn: numbers, booleans or strings in a typed column."""
    values.extend([_ABSENT] * (n - len(values)))
    numbers = booleans = strings = True
    missing = False
    for value in values:
        if value is None or value is _ABSENT:
            missing = True
            continue
        if isinstance(value, bool):
            numbers = strings = False
        elif isinstance(value, int | float):
            booleans = strings = False
        elif isinstance(value, str):
            numbers = booleans = False
        else:
            numbers = booleans = strings = False
        if not (numbers or booleans or strings):
            return {
                "key": key,
                "kind": "any",
                "values": [None if v is _ABSENT else v for v in values],
                "flags": None,
            }
    flags = None
    if missing:
        flags = array("B", (1 if v is None else 2 if v is _ABSENT else 0 for v in values))
    if numbers:
        column: Any = array("d", (0.0 if v is None or v is _ABSENT else float(v) for v in values))
        return {"key": key, "kind": "number", "values": column, "flags": flags}
    if booleans:
        column = array("B", (1 if v is True else 0 for v in values))
        return {"key": key, "kind": "boolean", "values": column, "flags": flags}
    texts = [v if isinstance(v, str) else "" for v in values]
    return {"key": key, "kind": "string", "values": string_column(texts), "flags": flags}


_TYPES = {"d": "f64", "i": "i32", "B": "u8"}


def _align8(n: int) -> int:
    return (n + 7) & ~7


def encode_index(index: Mapping[str, Any], version: int) -> bytearray:
    """The binary form of sync/catalog_snapshot.js (its encodeIndex, byte for byte),
    written into one buffer: its sections are placed first, then copied in once."""
    plan: list[tuple[Any, int]] = []
    at = 0

    def place(value: Any, size: int) -> int:
        nonlocal at
        start = at
        plan.append((value, size))
        at = _align8(at + size)
        return start

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            size = len(value) if value.isascii() else len(_utf8(value))
            return {"$": "utf8", "at": place(value, size), "n": size}
        if isinstance(value, array):
            if value.typecode not in _TYPES:
                raise TypeError(f"no binary form for array({value.typecode!r})")
            size = len(value) * value.itemsize
            return {"$": _TYPES[value.typecode], "at": place(value, size), "n": len(value)}
        if isinstance(value, list):
            return [walk(item) for item in value]
        if isinstance(value, Mapping):
            out = {k: walk(v) for k, v in value.items()}
            return {"$": "obj", "v": out} if "$" in out else out
        return value

    tree = walk(index)
    header = json.dumps(
        {"format": index["format"], "version": version, "sections": at, "index": tree},
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
    start = _align8(8 + len(header))
    out = bytearray(start + at)  # zeros: the padding
    out[0:4] = MAGIC
    out[4:8] = len(header).to_bytes(4, "little")
    out[8 : 8 + len(header)] = header
    view = memoryview(out)
    offset = start
    for value, size in plan:
        if isinstance(value, str):
            view[offset : offset + size] = _utf8(value)
        elif sys.byteorder == "big":  # the form is little-endian, as every till's CPU
            swapped = array(value.typecode, value)
            swapped.byteswap()
            view[offset : offset + size] = memoryview(swapped).cast("B")
        else:
            view[offset : offset + size] = memoryview(value).cast("B")
        offset = _align8(offset + size)
    return out


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")
