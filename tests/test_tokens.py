"""One rule for the secrets idp reads (`idp.tokens`): the client's tokens and the step programs'
callback token and SMTP password, cleaned or refused the same way, never shown."""

from __future__ import annotations

import pytest

from idp.tokens import MAX_TOKEN, REDACTED, TokenError, clean_secret, clean_token, scrub

SECRET = "s3cr3t-9f1d-token"


@pytest.mark.parametrize("ending", ["\n", "\r\n"])
def test_one_final_line_break_is_dropped(ending: str) -> None:
    assert clean_token(SECRET + ending, "T") == SECRET


@pytest.mark.parametrize(
    "bad",
    [f"{SECRET}\n\n", f"{SECRET}\r", f"{SECRET}\nmore", f"a\x1b{SECRET}", f"{SECRET}\u20ac"],
    ids=["two-newlines", "lone-cr", "second-line", "escape", "not-ascii"],
)
def test_any_other_control_or_non_ascii_character_is_refused_unseen(bad: str) -> None:
    with pytest.raises(TokenError) as caught:
        clean_secret(bad, "IDP_X")
    assert str(caught.value).startswith("IDP_X: holds a control character or one that is not ASCII")
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize("given", [f"Bearer {SECRET}", f"bearer {SECRET}", f" BEARER  {SECRET} "])
def test_a_bearer_token_loses_one_scheme_and_its_surrounding_spaces(given: str) -> None:
    assert clean_token(given, "T") == SECRET


@pytest.mark.parametrize("given", [f"Bearer Bearer {SECRET}", f"Basic {SECRET}", f"a {SECRET}"])
def test_a_bearer_token_with_a_space_left_inside_is_refused_unseen(given: str) -> None:
    with pytest.raises(TokenError, match=r"^T: the token holds a space") as caught:
        clean_token(given, "T")
    assert SECRET not in str(caught.value)


def test_a_password_keeps_its_spaces_and_a_leading_bearer() -> None:
    assert clean_secret("Bearer pass word \n", "SMTP password") == "Bearer pass word "


def test_a_value_longer_than_16_kib_is_refused() -> None:
    assert clean_secret("t" * MAX_TOKEN, "T") == "t" * MAX_TOKEN
    with pytest.raises(TokenError, match=r"^T: longer than 16 KiB: not a token$"):
        clean_secret("t" * (MAX_TOKEN + 1), "T")


def test_an_empty_token_is_empty() -> None:
    assert clean_token("", "T") == ""


def test_scrub_replaces_every_secret_longest_first() -> None:
    """A secret that holds another is replaced whole, not left with its tail showing."""
    assert scrub("a=abcdef b=abcdefgh", ["abcdef", "abcdefgh"], "X") == "a=X b=X"


def test_scrub_skips_an_empty_secret() -> None:
    assert scrub("text", ["", "ex"]) == f"t{REDACTED}t"


def test_a_header_value_in_a_transport_error_is_redacted() -> None:
    text = f"Invalid header value: 'Bearer {SECRET}\\n'"
    assert scrub(text, [f"Bearer {SECRET}"]) == f"Invalid header value: '{REDACTED}\\n'"
