"""The Argo Server's streamed answers, read message by message (`idp.argo.streams`): as
server-sent events or one JSON object a line (argoproj/pkg grpc/http/forwarders.go,
`StreamForwarder`), with keep-alives, a final error, and a bound on a message."""

from __future__ import annotations

import pytest

from idp.argo.errors import ArgoError, HttpError
from idp.argo.streams import KEEPALIVE, MAX_LINE, lines, results
from idp.errors import EXIT_NOT_FOUND, EXIT_SERVER_ERROR

WHERE = "GET /api/v1/workflows/ns/wf/log"


def read(*chunks: bytes) -> list[object]:
    return list(results(lines(chunks, WHERE), WHERE))


def messages(*chunks: bytes) -> list[object]:
    return [found for found in read(*chunks) if found is not KEEPALIVE]


def test_server_sent_events_give_each_result() -> None:
    assert messages(
        b'data: {"result": {"content": "a"}} \n\n', b'data: {"result": {"content": "b"}} \n\n'
    ) == [
        {"content": "a"},
        {"content": "b"},
    ]


def test_one_object_a_line_gives_each_result() -> None:
    assert read(b'{"result": {"content": "a"}}\n{"result": {"content": "b"}}\n') == [
        {"content": "a"},
        {"content": "b"},
    ]


def test_a_message_split_across_chunks_is_read_whole() -> None:
    assert messages(b'data: {"result": {"con', b'tent": "a"}}\n', b"\n") == [{"content": "a"}]


def test_a_keepalive_line_is_yielded_as_such() -> None:
    assert messages(b":\n", b'data: {"result": {}}\n\n') == [{}]
    assert read(b":\n", b'data: {"result": {}}\n') == [KEEPALIVE, {}]


def test_an_empty_line_is_yielded_too_so_that_a_deadline_is_checked_on_it() -> None:
    assert read(b"\n\n\n") == [KEEPALIVE, KEEPALIVE, KEEPALIVE]


def test_an_error_message_raises_with_the_status_it_carries() -> None:
    message = b'data: {"error": {"grpc_code": 5, "http_code": 404, "message": "pod gone"}}\n\n'
    with pytest.raises(HttpError) as failed:
        read(message)
    assert failed.value.status == 404
    assert failed.value.code == EXIT_NOT_FOUND
    assert str(failed.value) == f"{WHERE}: the stream failed: pod gone"


def test_text_that_is_not_json_is_an_error_naming_it() -> None:
    with pytest.raises(ArgoError, match=r"not an Argo Server answer \(not JSON\): '<html>'") as bad:
        read(b"<html>\n")
    assert bad.value.code == EXIT_SERVER_ERROR


@pytest.mark.parametrize(
    ("line", "why"),
    [
        (b"[]", "a JSON array, not an object"),
        (b"null", "a JSON null, not an object"),
        (b'"x"', "a JSON string, not an object"),
        (b"123", "a JSON number, not an object"),
        (b"[" * 100_000 + b"]" * 100_000, "nested more than 64 levels deep"),
    ],
    ids=["array", "null", "string", "number", "deep"],
)
def test_a_message_that_is_not_an_object_is_not_an_argo_server_answer(
    line: bytes, why: str
) -> None:
    with pytest.raises(ArgoError) as bad:
        read(b"data: " + line + b"\n\n")
    assert f"not an Argo Server answer ({why})" in str(bad.value)
    assert bad.value.code == EXIT_SERVER_ERROR


def test_a_stream_error_is_printable_and_cut() -> None:
    message = b'{"error": {"http_code": 500, "message": "\\u001b]0;X\\u0007' + b"y" * 5000 + b'"}}'
    with pytest.raises(HttpError) as failed:
        read(message + b"\n")
    shown = str(failed.value)
    assert "\x1b" not in shown
    assert "\\x1b]0;X\\x07" in shown
    assert len(shown) < 400


def test_a_line_longer_than_the_bound_ends_the_stream() -> None:
    chunk = b"x" * (1024 * 1024)
    with pytest.raises(ArgoError, match=f"longer than {MAX_LINE} bytes"):
        read(*[chunk] * 9)


def test_a_last_line_without_its_line_end_is_read() -> None:
    assert messages(b'{"result": {"content": "last"}}') == [{"content": "last"}]
