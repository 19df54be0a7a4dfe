"""'Did you mean …?' for a name that is not known: a key of the config, an entity, a channel, a rule."""

from __future__ import annotations

import difflib
from typing import Iterable


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The known name nearest to `word` (spelling or case), or None when none is near."""
    names = [c for c in dict.fromkeys(choices) if isinstance(c, str)]
    by_case = [c for c in names if c.casefold() == str(word).casefold()]
    if by_case:
        return by_case[0]
    found = difflib.get_close_matches(str(word), names, n=1, cutoff=0.6)
    if not found:
        folded = {c.casefold(): c for c in names}
        found = [folded[c] for c in difflib.get_close_matches(str(word).casefold(), list(folded), n=1, cutoff=0.6)]
    return found[0] if found else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' (did you mean 'team-slack'?)', or '' when no known name is near."""
    near = closest(word, choices)
    return f" (did you mean {near!r}?)" if near is not None and near != word else ""
