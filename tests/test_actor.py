"""Who answered, read from the labels the Argo Server put on the Workflow
(workflow/creator/creator.go, `LabelActor` and `dnsFriendly`), and the four-eyes rule."""

from __future__ import annotations

import json

import pytest

from idp.actor import Approver, dns_friendly, recorded_email


def labels(**actor: str) -> str:
    keys = {"subject": "actor", "email": "actor-email", "username": "actor-preferred-username"}
    found = {f"workflows.argoproj.io/{keys[k]}": v for k, v in actor.items()}
    return json.dumps({"app.kubernetes.io/part-of": "idp", **found})


def test_the_recorded_actor_is_read_from_the_workflows_labels() -> None:
    approver = Approver.from_labels(labels(subject="CiQ1", email="lee.at.example.com"))
    assert approver == Approver("CiQ1", "lee.at.example.com", "")
    assert approver.shown() == "lee.at.example.com"


def test_labels_without_an_actor_record_nobody() -> None:
    approver = Approver.from_labels(labels())
    assert not approver.known
    assert approver.shown() == "unknown"


def test_an_unresolved_tag_records_nobody() -> None:
    assert not Approver.from_labels("{{workflow.labels.json}}").known


def test_labels_that_are_not_a_json_object_are_refused() -> None:
    with pytest.raises(ValueError, match="--labels: not a JSON object of labels"):
        Approver.from_labels("[1]")


def test_labels_over_the_size_bound_are_refused() -> None:
    with pytest.raises(ValueError, match="the limit is 65536"):
        Approver.from_labels(json.dumps({"x": "y" * 70_000}))


def test_an_email_is_recorded_with_at_spelled_out() -> None:
    assert recorded_email("Lee.Reviewer@Example.com") == "Lee.Reviewer.at.Example.com"


def test_dns_friendly_keeps_the_last_63_characters_and_trims_the_ends() -> None:
    assert dns_friendly("-" + "a" * 70 + "@") == "a" * 62
    assert dns_friendly("x y") == "x-y"


def test_the_requester_is_recognised_whatever_the_case() -> None:
    approver = Approver.from_labels(labels(email="ANN.at.EXAMPLE.com"))
    assert approver.is_requester("ann@example.com")
    assert not approver.is_requester("lee@example.com")


def test_without_a_recorded_email_nobody_is_taken_for_the_requester() -> None:
    assert not Approver.from_labels(labels(subject="ann")).is_requester("ann@example.com")
