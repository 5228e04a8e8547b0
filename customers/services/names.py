"""Customer names: the comparison key for near-duplicates and the pinyin keys for quick search.

``name_key("北京 信息科技股份有限公司")`` → ``"北京信息科技"``: full-width characters folded (NFKC),
spaces and punctuation dropped, lower case, legal-form suffixes (有限公司, 股份有限公司, 有限责任公司, 集团 …)
removed. Two customers with the same key are near-duplicates.

``normalised_name("北京\u3000信息科技有限公司")`` → ``"北京信息科技有限公司"``: the same folding (NFKC, lower case)
with only the spaces (and invisible format characters) dropped. §1 the customer name is unique: two live
customers never share a normalised name (a unique constraint on ``Customer.name_normalised``), whereas a
near-duplicate (same key, another legal form or punctuation) may be saved once the user confirms it.
"""
from __future__ import annotations

import re
import unicodedata

from django.db.models import Q
from pypinyin import Style, lazy_pinyin

LEGAL_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "集团公司", "集团", "公司", "分公司", "co.,ltd.", "co.,ltd",
                  "co.ltd", "ltd.", "ltd", "inc.", "inc")
_DROPPED = re.compile(r"[\s\-_·.,，。、()（）\[\]【】'\"“”‘’&/\\]+")


def name_key(name: str) -> str:
    text = unicodedata.normalize("NFKC", name or "").lower()
    text = _DROPPED.sub("", text)
    changed = True
    while changed:
        changed = False
        for suffix in LEGAL_SUFFIXES:
            plain = _DROPPED.sub("", suffix)
            if text.endswith(plain) and len(text) > len(plain):
                text = text[: -len(plain)]
                changed = True
    return text


def normalised_name(name: str) -> str:
    text = unicodedata.normalize("NFKC", name or "").lower()
    return "".join(c for c in text if not c.isspace() and unicodedata.category(c) != "Cf")


def pinyin_keys(name: str) -> tuple[str, str]:
    """(full pinyin, initials) of the name without spaces, e.g. 北京信息 → ("beijingxinxi", "bjxx")."""
    text = unicodedata.normalize("NFKC", name or "").lower()
    syllables = lazy_pinyin(text, errors=lambda chars: [c for c in chars if c.isalnum()])
    initials = lazy_pinyin(text, style=Style.FIRST_LETTER, errors=lambda chars: [c for c in chars if c.isalnum()])
    return "".join(syllables)[:400], "".join(initials)[:100]


def fill_name_keys(customer) -> None:
    customer.name_key = name_key(customer.name)
    customer.name_normalised = normalised_name(customer.name)
    customer.name_pinyin, customer.name_initials = pinyin_keys(customer.name)


def name_matches(value: str) -> Q:
    """The customers a search term finds, wherever a customer is searched: the name (contains), the comparison
    key, full pinyin or pinyin initials ("bjxx" and "beijing" both find 北京信息…)."""
    value = (value or "").strip()
    condition = Q(name__icontains=value)
    compact = name_key(value)
    if compact:
        condition |= Q(name_key__contains=compact)
        if compact.isascii():
            condition |= Q(name_pinyin__contains=compact) | Q(name_initials__contains=compact)
    return condition
