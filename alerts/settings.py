"""The base of every channel's settings model: strict, so a typo in `channels:` is an error."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ChannelSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str
