"""Every CLI command and every config key is documented in the README."""

from alerts.email import EmailSettings
from alerts.slack import SlackSettings
from pipeline.cli import main
from pipeline.config import Config, EntityConfig, FetchConfig, RuleConfig, SourceConfig, StoriesConfig
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_command_is_documented():
    for name in main.commands:
        assert f"`{name}" in README, name


def test_every_config_key_is_documented():
    for model in (Config, FetchConfig, SourceConfig, EntityConfig, RuleConfig, EmailSettings, SlackSettings, StoriesConfig):
        for name, field in model.model_fields.items():
            if field.exclude:
                continue
            key = field.alias or name
            assert f"`{key}`" in README or f"{key}:" in README, f"{model.__name__}.{key}"
