"""The cost limit in the settings: `max_monthly_cost`, top-level and per environment.

A positive finite amount of US dollars a month, or none (no limit). The plan pod reads it from
the step settings ConfigMap: the top-level one as IDP_MAX_MONTHLY_COST, an environment's inside
IDP_ENVIRONMENTS.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from idp.settings import ENVIRONMENTS, Settings, SettingsError, load_settings
from workflows.pods import step_environment


def test_there_is_no_limit_by_default() -> None:
    settings = load_settings(env={})
    assert settings.max_monthly_cost is None
    assert all(settings.target(e).max_monthly_cost is None for e in ENVIRONMENTS)


def test_the_top_level_limit_holds_in_every_environment() -> None:
    settings = load_settings(env={"IDP_MAX_MONTHLY_COST": "250.5"})
    assert {settings.target(e).max_monthly_cost for e in ENVIRONMENTS} == {250.5}


def test_an_environments_limit_wins_over_the_top_level_one(tmp_path: Path) -> None:
    config = tmp_path / "idp.yaml"
    config.write_text("max_monthly_cost: 100\nenvironments:\n  prod:\n    max_monthly_cost: 5000\n")
    settings = load_settings(config, env={})
    assert settings.target("prod").max_monthly_cost == 5000
    assert settings.target("dev").max_monthly_cost == 100


def test_an_environment_may_have_a_limit_without_a_top_level_one() -> None:
    settings = Settings.model_validate({"environments": {"dev": {"max_monthly_cost": 50}}})
    assert (settings.target("dev").max_monthly_cost, settings.target("prod").max_monthly_cost) == (
        50,
        None,
    )


def test_an_empty_variable_is_no_limit() -> None:
    assert load_settings(env={"IDP_MAX_MONTHLY_COST": ""}).max_monthly_cost is None


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("0", "greater than 0"),
        ("-20", "greater than 0"),
        ("inf", "finite number"),
        ("nan", "finite number"),
        ("lots", "valid number"),
    ],
)
def test_a_limit_that_is_not_a_positive_finite_number_is_refused(value: str, rule: str) -> None:
    with pytest.raises(SettingsError, match=rf"^settings\.max_monthly_cost: .*{rule}"):
        load_settings(env={"IDP_MAX_MONTHLY_COST": value})


def test_a_boolean_limit_is_refused_naming_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "idp.yaml"
    config.write_text("environments:\n  prod:\n    max_monthly_cost: true\n")
    with pytest.raises(
        SettingsError, match=r"settings\.environments\.prod\.max_monthly_cost: .*not a boolean"
    ):
        load_settings(config, env={})


def test_a_negative_environment_limit_is_refused_naming_the_environment() -> None:
    environments = json.dumps({"staging": {"max_monthly_cost": -1}})
    with pytest.raises(
        SettingsError, match=r"settings\.environments\.staging\.max_monthly_cost: .*greater than 0"
    ):
        load_settings(env={"IDP_ENVIRONMENTS": environments})


def test_the_plan_pod_reads_the_limits_the_settings_hold() -> None:
    settings = Settings.model_validate(
        {"max_monthly_cost": 300, "environments": {"prod": {"max_monthly_cost": 1234.56}}}
    )
    in_the_pod = load_settings(env=step_environment(settings))
    assert {e: in_the_pod.target(e).max_monthly_cost for e in ENVIRONMENTS} == {
        "dev": 300,
        "test": 300,
        "staging": 300,
        "prod": 1234.56,
    }


def test_the_plan_pod_reads_no_limit_when_there_is_none() -> None:
    in_the_pod = load_settings(env=step_environment(Settings()))
    assert in_the_pod.max_monthly_cost is None
