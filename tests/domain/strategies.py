"""Hypothesis strategies for IDcode numbers and resolve URLs, shaped like the document's."""

from __future__ import annotations

import string

from hypothesis import strategies as st

from idcode_async.domain.idcode import IDCode

USER_ALPHABET = string.ascii_letters + string.digits + "._~-"

digits = st.text(alphabet=string.digits, min_size=1, max_size=9)
main_codes = st.builds("i.{}.{}.{}".format, digits, digits, digits)
catalog_codes = st.builds("{}.{}.{}".format, digits, digits, digits)
user_codes = st.text(alphabet=USER_ALPHABET, min_size=1, max_size=24)

item_codes = st.builds(IDCode, main_codes, catalog_codes, user_codes)
codes = st.one_of(
    st.builds(IDCode, main_codes),
    st.builds(IDCode, main_codes, catalog_codes),
    item_codes,
)

_label = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=10)
hosts = st.builds("{}.{}".format, _label, st.sampled_from(["com", "cn", "org.cn"]))
_segment = st.text(alphabet=string.ascii_letters + string.digits + "-_.~", min_size=1, max_size=8)
paths = st.lists(_segment, max_size=3).map(lambda parts: "/" + "/".join(parts))
_pairs = st.lists(st.tuples(_label, _segment), max_size=3)


@st.composite
def appending_gotourls(draw: st.DrawFn) -> str:
    """Resolve URLs without placeholders, in the three shapes of §十三 and their edges."""
    url = f"{draw(st.sampled_from(['http', 'https']))}://{draw(hosts)}{draw(paths)}"
    pairs = draw(_pairs)
    if pairs:
        url += "?" + "&".join(f"{name}={value}" for name, value in pairs)
    ending = draw(st.sampled_from(["", "id=", "separator"]))
    joiner = "&" if "?" in url else "?"
    if ending == "id=":
        url += joiner + "id="  # §十三 example 2: the number becomes id's value
    elif ending == "separator":
        url += joiner
    return url


_TEMPLATE_SHAPES = [
    "/html/{userCode}.html",
    "/html/{catalogCode}/{userCode}.html",
    "/html/{fullCode}.html",
    "/p/{mainCode}/{catalogCode}/{userCode}",
    "/item?c={userCode}",
    "/item?full={fullCode}&u={userCode}",
    "/#/item/{userCode}",
    "/{catalogCode}{userCode}",
    "/a/{userCode}-{userCode}.htm",
]


@st.composite
def item_templates(draw: st.DrawFn) -> str:
    """Resolve URLs with placeholders that carry the user part (§十三 example 4 and kin)."""
    scheme = draw(st.sampled_from(["http", "https"]))
    return f"{scheme}://{draw(hosts)}{draw(st.sampled_from(_TEMPLATE_SHAPES))}"
