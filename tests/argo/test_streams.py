"""The Argo Server's streamed answers, read message by message (`idp.argo.streams`): as
server-sent events or one JSON object a line (argoproj/pkg grpc/http/forwarders.go,
`StreamForwarder`), with keep-alives, a final error, and a bound on a message."""

from __future__ import annotations

import pytest

from idp.argo.errors import ArgoError, HttpError
from idp.argo.streams import KEEPALIVE, MAX_LINE, lines, results
from idp.errors import EXIT_NOT_FOUND

WHERE = "GET /api/v1/workflows/ns/wf/log"


def read(*chunks: bytes) -> list[object]:
    return list(results(lines(chunks, WHERE), WHERE))


def test_server_sent_events_give_each_result() -> None:
    assert read(
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
    assert read(b'data: {"result": {"con', b'tent": "a"}}\n', b"\n") == [{"content": "a"}]


def test_a_keepalive_line_is_yielded_as_such() -> None:
    assert read(b":\n", b'data: {"result": {}}\n\n') == [KEEPALIVE, {}]


def test_an_error_message_raises_with_the_status_it_carries() -> None:
    message = b'data: {"error": {"grpc_code": 5, "http_code": 404, "message": "pod gone"}}\n\n'
    with pytest.raises(HttpError) as failed:
        read(message)
    assert failed.value.status == 404
    assert failed.value.code == EXIT_NOT_FOUND
    assert str(failed.value) == f"{WHERE}: the stream failed: pod gone"


def test_text_that_is_not_json_is_an_error_naming_it() -> None:
    with pytest.raises(ArgoError, match="the stream holds something that is not JSON: '<html>'"):
        read(b"<html>\n")


def test_a_line_longer_than_the_bound_ends_the_stream() -> None:
    chunk = b"x" * (1024 * 1024)
    with pytest.raises(ArgoError, match=f"longer than {MAX_LINE} bytes"):
        read(*[chunk] * 9)


def test_a_last_line_without_its_line_end_is_read() -> None:
    assert read(b'{"result": {"content": "last"}}') == [{"content": "last"}]
