"""HTML of the page interfaces (401, 405, 408, 607): a small form per page.

The document's page interfaces are opened in the user's browser; the centre shows its own
form and, on success, sends the browser to ``callback_url`` with ``CategoryIDcode`` (the full
category code) appended.  The sandbox's pages are deliberately plain, readable by a test (one
``<form>``, named inputs) as well as by a person.  Every value is HTML-escaped.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from .reference_data import INDUSTRY_CATEGORIES, IndustryCategory

__all__ = ["PAGE_TITLES", "expired_page", "page_html"]

PAGE_TITLES = {
    401: "注册品类",
    405: "注册/备案产品品类 IDcode 码",
    408: "备案品类",
    607: "单位登录",
}


def _input(label: str, name: str, *, kind: str = "text", required: bool = True) -> str:
    flag = " required" if required else ""
    return (
        f"<p><label>{html.escape(label)} "
        f'<input type="{kind}" name="{html.escape(name)}"{flag}></label></p>'
    )


def _category_select(categories: Iterable[IndustryCategory]) -> str:
    options = "".join(
        f'<option value="{c.industrycategory_id}">'
        f"{html.escape(c.industrycategory_code)} {html.escape(c.industrycategory_name)}</option>"
        for c in categories
        if c.industrycategory_level > 1
    )
    return (
        f'<p><label>品类 <select name="industrycategory_id" required>{options}</select></label></p>'
    )


def _fields(endpoint: int, fixed: dict[str, str]) -> str:
    if endpoint == 607:
        return _input("用户名", "login_name") + _input("密码", "login_pswd", kind="password")
    parts = []
    if endpoint == 405:
        parts.append(f"<p>品类 ID：{html.escape(fixed.get('industrycategory_id', ''))}</p>")
    else:
        parts.append(_category_select(INDUSTRY_CATEGORIES))
    parts.append(_input("型号名称", "model_number"))
    parts.append(_input("型号编码", "model_number_code", required=endpoint == 405))
    return "".join(parts)


def page_html(endpoint: int, action: str, fixed: dict[str, str], error: str | None = None) -> str:
    """The page of ``endpoint`` whose form posts to ``action``; ``error`` is shown above it."""
    title = html.escape(PAGE_TITLES[endpoint])
    shown = "".join(
        f"<li>{html.escape(name)}: {html.escape(value)}</li>"
        for name, value in sorted(fixed.items())
        if name in ("company_idcode", "gotourl", "sample_url", "code_pay_type")
    )
    problem = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{title} - IDcode sandbox</title></head><body>"
        f"<h1>{title}</h1><ul>{shown}</ul>{problem}"
        f'<form method="post" action="{html.escape(action)}">'
        f"{_fields(endpoint, fixed)}"
        '<p><button type="submit">提交</button></p></form></body></html>'
    )


def expired_page() -> str:
    """What a used or unknown page ticket shows."""
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        "<title>页面已失效</title></head><body><h1>页面已失效</h1>"
        "<p>This page was already submitted or never opened.</p></body></html>"
    )
