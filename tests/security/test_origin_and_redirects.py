"""Issue 10, points 1, 2 and 4: signatures stay with the centre's origin.

Every request is seen as the peer would see it (``tests/wire.py`` decodes the bytes and
recomputes the hash by the document's rule); foreign hosts are separate mock routes whose
received requests are inspected for any credential.
"""

from __future__ import annotations

import warnings
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from idcode_async import (
    IdcodeClient,
    InsecureBaseUrlWarning,
    RedirectError,
    ResponseDecodeError,
    RetryPolicy,
    TransportError,
    UsageError,
    registry,
)
from idcode_async.endpoints import Addresses, ExamineRecord, LoginVerify

from ..wire import BASE_URL, TEST_AUTH_CODE, TEST_TOKEN, assert_signed, read_request
from .secrets import assert_no_secret

PASSWORD = "s3cret-Pässwort"
FOREIGN = "https://pictures.example.net"
SECRETS = (TEST_TOKEN, TEST_AUTH_CODE, PASSWORD)


class Recorder:
    """A transport answering per host; keeps every request it received."""

    def __init__(self, answers: dict[str, httpx.Response]) -> None:
        self.answers = answers
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.seen.append(request)
        for prefix, response in self.answers.items():
            if str(request.url).startswith(prefix):
                return httpx.Response(
                    response.status_code, headers=response.headers, content=response.content
                )
        return httpx.Response(404)


def client_for(recorder: Recorder, **kwargs: object) -> IdcodeClient:
    return IdcodeClient(
        access_token=TEST_TOKEN,
        auth_code=TEST_AUTH_CODE,
        base_url=BASE_URL,
        transport=httpx.MockTransport(recorder),
        retry=RetryPolicy(max_retries=0),
        **kwargs,  # type: ignore[arg-type]
    )


def carries_secret(request: httpx.Request) -> bool:
    raw = str(request.url).encode() + request.content + b" ".join(v for _, v in request.headers.raw)
    decoded = (
        str(request.url)
        + " "
        + " ".join(v for _, v in parse_qsl(urlsplit(str(request.url)).query))
        + " "
        + " ".join(v for _, v in parse_qsl(request.content.decode("utf-8", "replace")))
    )
    names = ("access_token", "hash", "login_pswd")
    return any(s in decoded for s in SECRETS) or any(n.encode() + b"=" in raw for n in names)


# -- point 1: signing scope -------------------------------------------------------------------


async def test_requests_to_the_centre_are_signed():
    recorder = Recorder({BASE_URL: httpx.Response(200, json={"result_code": 1})})
    async with client_for(recorder) as client:
        await client.get("/sp/idcode/addresses", params={"a": "1"})
    assert_signed(read_request(recorder.seen[0]))


@pytest.mark.parametrize(
    "url",
    [
        "https://pictures.example.net/codepic/1.png",
        "http://apitest.idcode.org.cn/x",  # same host, other scheme
        "https://apitest.idcode.org.cn:8443/x",  # same host, other port
        "https://apitest.idcode.org.cn.evil.example/x",
    ],
)
async def test_requests_to_any_other_origin_go_out_unsigned(url: str):
    recorder = Recorder({url: httpx.Response(200, content=b"PNG")})
    async with client_for(recorder) as client:
        response = await client.get(url, params={"size": "10"})
    assert response.content == b"PNG"
    (sent,) = recorder.seen
    assert dict(sent.url.params) == {"size": "10"}
    assert not carries_secret(sent)


async def test_a_foreign_post_keeps_its_body_and_gets_no_signature():
    recorder = Recorder({FOREIGN: httpx.Response(200, content=b"ok")})
    async with client_for(recorder) as client:
        await client.post(f"{FOREIGN}/hook", data={"k": "v"})
    (sent,) = recorder.seen
    assert sent.content == b"k=v"
    assert not carries_secret(sent)


async def test_default_port_spelled_out_is_the_same_origin():
    recorder = Recorder({BASE_URL: httpx.Response(200, json={"result_code": 1})})
    async with client_for(recorder) as client:
        await client.get("https://APITEST.idcode.org.cn:443/sp/idcode/addresses")
    assert_signed(read_request(recorder.seen[0]))


async def test_reassigned_base_url_moves_the_signing_scope():
    other = "https://api.idcode.org.cn"
    recorder = Recorder({other: httpx.Response(200, json={"result_code": 1})})
    async with client_for(recorder) as client:
        client.base_url = httpx.URL(other)
        await client.get(f"{BASE_URL}/sp/idcode/addresses")
        await client.get("/sp/idcode/addresses")
    old, new = recorder.seen
    assert not carries_secret(old)
    assert new.url.host == "api.idcode.org.cn"
    assert_signed(read_request(new))


async def test_a_dispatched_call_follows_a_reassigned_base_url_host_and_all():
    """The dispatcher keeps its header list (``Host`` included) and its checked endpoint URLs
    between calls: a new ``base_url`` replaces both."""
    other = "https://api.idcode.org.cn"
    answer = {"result_code": 1, "organunit_name": "天津测试有限公司"}
    recorder = Recorder(
        {BASE_URL: httpx.Response(200, json=answer), other: httpx.Response(200, json=answer)}
    )
    async with client_for(recorder) as client:
        await client.call(LoginVerify(login_name="u", login_pswd=PASSWORD))
        client.base_url = httpx.URL(other)
        await client.call(LoginVerify(login_name="u", login_pswd=PASSWORD))
    old, new = recorder.seen
    assert old.headers["host"] == "apitest.idcode.org.cn"
    assert new.headers["host"] == new.url.host == "api.idcode.org.cn"
    assert [name.lower() for name, _ in new.headers.raw].count(b"host") == 1
    assert_signed(read_request(new))


def test_page_links_and_forms_point_at_the_centre_only():
    page = registry[607](callback_url="https://sp.example.com/cb")
    client = client_for(Recorder({}))
    url = httpx.URL(client.page_url(page))
    form = client.page_form(page)
    assert (url.scheme, url.host, url.port) == ("https", "apitest.idcode.org.cn", None)
    assert httpx.URL(form.action).host == "apitest.idcode.org.cn"


# -- point 2: redirects -----------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_cross_origin_redirect_of_a_signed_call_is_refused(status: int):
    recorder = Recorder(
        {
            f"{BASE_URL}/sp/idcode/loginverify": httpx.Response(
                status, headers={"location": f"{FOREIGN}/steal"}
            ),
            FOREIGN: httpx.Response(200, json={"result_code": 1, "organunit_name": "fake"}),
        }
    )
    async with client_for(recorder, follow_redirects=True) as client:
        with pytest.raises(RedirectError) as caught:
            await client.call(LoginVerify(login_name="u", login_pswd=PASSWORD))
    assert [r.url.host for r in recorder.seen] == ["apitest.idcode.org.cn"]
    assert caught.value.status_code == status
    assert "pictures.example.net" in str(caught.value)
    assert PASSWORD not in repr(caught.value)


async def test_cross_origin_redirect_of_a_hand_built_signed_request_is_refused():
    recorder = Recorder({BASE_URL: httpx.Response(307, headers={"location": f"{FOREIGN}/x"})})
    async with client_for(recorder, follow_redirects=True) as client:
        with pytest.raises(RedirectError):
            await client.post("/sp/idcode/loginverify", data={"login_pswd": PASSWORD})
    assert len(recorder.seen) == 1


async def test_redirect_to_http_on_the_same_host_is_cross_origin():
    recorder = Recorder(
        {BASE_URL: httpx.Response(308, headers={"location": "http://apitest.idcode.org.cn/x"})}
    )
    async with client_for(recorder, follow_redirects=True) as client:
        with pytest.raises(RedirectError):
            await client.call(Addresses())
    assert len(recorder.seen) == 1


async def test_without_following_a_redirect_is_not_an_answer():
    recorder = Recorder({BASE_URL: httpx.Response(302, headers={"location": f"{FOREIGN}/x"})})
    async with client_for(recorder) as client:
        with pytest.raises(ResponseDecodeError) as caught:
            await client.call(LoginVerify(login_name="u", login_pswd=PASSWORD))
    assert caught.value.status_code == 302
    assert len(recorder.seen) == 1


@pytest.mark.parametrize("status", [307, 308])
async def test_same_origin_redirect_is_signed_afresh_for_the_new_path(status: int):
    answer = {"result_code": 1, "organunit_name": "天津测试有限公司"}
    recorder = Recorder(
        {
            f"{BASE_URL}/sp/idcode/loginverify": httpx.Response(
                status, headers={"location": "/v2/loginverify"}
            ),
            f"{BASE_URL}/v2/loginverify": httpx.Response(200, json=answer),
        }
    )
    async with client_for(recorder, follow_redirects=True) as client:
        result = await client.call(LoginVerify(login_name="u", login_pswd=PASSWORD))
    assert result.organunit_name == "天津测试有限公司"
    first, second = (read_request(r) for r in recorder.seen)
    assert second.path == "/v2/loginverify"
    assert second.method == "POST"
    assert second.fields["login_pswd"] == PASSWORD
    assert_signed(first)
    assert_signed(second)  # the hash covers the new path


async def test_same_origin_302_of_a_post_becomes_a_signed_get_without_the_form():
    recorder = Recorder(
        {
            f"{BASE_URL}/sp/idcode/loginverify": httpx.Response(
                302, headers={"location": "/done?ticket=7"}
            ),
            f"{BASE_URL}/done": httpx.Response(200, json={"result_code": 1}),
        }
    )
    async with client_for(recorder, follow_redirects=True) as client:
        await client.call(LoginVerify(login_name="u", login_pswd=PASSWORD))
    hop = read_request(recorder.seen[1])
    assert hop.method == "GET"
    assert "login_pswd" not in hop.fields
    assert hop.fields["ticket"] == "7"
    assert_signed(hop)


async def test_hand_built_post_redirected_in_origin_is_resigned():
    recorder = Recorder(
        {
            f"{BASE_URL}/a": httpx.Response(307, headers={"location": "/b"}),
            f"{BASE_URL}/b": httpx.Response(200, json={"result_code": 1}),
        }
    )
    async with client_for(recorder, follow_redirects=True) as client:
        response = await client.post("/a", data={"k": "v"})
    assert response.status_code == 200
    assert [h.status_code for h in response.history] == [307]
    hop = read_request(recorder.seen[1])
    assert hop.fields["k"] == "v"
    assert_signed(hop)


async def test_a_foreign_redirect_into_the_centre_is_never_signed():
    """A picture host must not be able to make the client sign a request of its choosing."""
    recorder = Recorder(
        {
            FOREIGN: httpx.Response(
                302, headers={"location": f"{BASE_URL}/sp/idcode/category/gotourl?x=1"}
            ),
            BASE_URL: httpx.Response(200, json={"result_code": 1}),
        }
    )
    async with client_for(recorder, follow_redirects=True) as client:
        await client.get(f"{FOREIGN}/pic.png")
    assert [r.url.host for r in recorder.seen] == ["pictures.example.net", "apitest.idcode.org.cn"]
    assert not carries_secret(recorder.seen[1])


async def test_too_many_same_origin_redirects_stop():
    recorder = Recorder({BASE_URL: httpx.Response(307, headers={"location": "/loop"})})
    async with client_for(recorder, follow_redirects=True, max_redirects=3) as client:
        with pytest.raises(httpx.TooManyRedirects):
            await client.get("/start")
    assert len(recorder.seen) == 4


async def test_a_get_endpoint_redirected_abroad_leaves_no_query_behind():
    recorder = Recorder({BASE_URL: httpx.Response(307, headers={"location": f"{FOREIGN}/x"})})
    async with client_for(recorder, follow_redirects=True) as client:
        with pytest.raises(RedirectError):
            await client.call(ExamineRecord(company_idcode="i.86.120103.1021", type=1))
    assert [r.url.host for r in recorder.seen] == ["apitest.idcode.org.cn"]


# -- point 4: clear-text base URL -------------------------------------------------------------


def test_plain_http_base_url_warns_once_per_origin():
    url = "http://idcode-gateway.internal.example:8080"
    with pytest.warns(InsecureBaseUrlWarning, match="not https"):
        IdcodeClient(access_token=TEST_TOKEN, auth_code=TEST_AUTH_CODE, base_url=url)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        IdcodeClient(access_token=TEST_TOKEN, auth_code=TEST_AUTH_CODE, base_url=url)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000", "http://localhost:9", "http://[::1]:80", BASE_URL]
)
def test_loopback_and_https_base_urls_do_not_warn(url: str):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        IdcodeClient(access_token=TEST_TOKEN, auth_code=TEST_AUTH_CODE, base_url=url)


def test_in_process_transports_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        IdcodeClient(
            access_token=TEST_TOKEN,
            auth_code=TEST_AUTH_CODE,
            base_url="http://sandbox.invalid",
            transport=httpx.MockTransport(lambda r: httpx.Response(200)),
        )


def test_the_warning_names_no_secret():
    with pytest.warns(InsecureBaseUrlWarning) as record:
        IdcodeClient(access_token=TEST_TOKEN, auth_code=TEST_AUTH_CODE, base_url="http://10.1.2.3")
    text = str(record[0].message)
    assert TEST_TOKEN not in text
    assert TEST_AUTH_CODE not in text


async def test_endpoint_request_sent_by_hand_to_a_foreign_origin_is_refused():
    """The dispatcher's unsigned parameters never leave without their signature."""
    from idcode_async._auth import WIRE_EXTENSION

    recorder = Recorder({FOREIGN: httpx.Response(200)})
    async with client_for(recorder) as client:
        request = client.build_request(
            "POST",
            f"{FOREIGN}/x",
            extensions={WIRE_EXTENSION: LoginVerify(login_name="u", login_pswd=PASSWORD).wire()},
        )
        with pytest.raises(UsageError):
            await client.send(request)
    assert recorder.seen == []


@pytest.mark.parametrize(
    "location",
    [b"javascript:alert(1)", b"https://xn--apitest-.idcode.org.cn/x", b"http://[::1"],
    ids=lambda v: v.decode(),
)
@pytest.mark.parametrize("follow", [True, False])
async def test_a_location_httpx_cannot_follow_is_a_transport_error(location: bytes, follow: bool):
    """httpx turns some bad ``Location`` values into raw ``InvalidURL``/``IDNAError``."""
    recorder = Recorder({BASE_URL: httpx.Response(302, headers=[(b"location", location)])})
    async with client_for(recorder, follow_redirects=follow) as client:
        with pytest.raises(TransportError, match="location header") as caught:
            await client.call(LoginVerify(login_name="u", login_pswd=PASSWORD))
    assert len(recorder.seen) == 1
    assert_no_secret(caught.value)
