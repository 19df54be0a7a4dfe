"""Watchlist entities from files: our CSV, and the FollowTheMoney / OpenSanctions CSV export.

Our CSV has a header row; `name` is required, and `aliases`, `weak_aliases`, `context`,
`exclude`, `ticker` are optional, several values separated by `|`.

The OpenSanctions "simple" CSV export of FollowTheMoney entities (columns id, schema, name,
aliases, ...; aliases separated by `;`) is recognised by its header; only organisations are read
(Company, Organization, LegalEntity, PublicBody), people are skipped.

Every problem is reported as `file:line: message`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from pydantic import ValidationError

from pipeline.config.schema import EntityConfig

OUR_COLUMNS = {"name", "aliases", "weak_aliases", "context", "exclude", "ticker", "case_sensitive"}
FTM_ORGANISATIONS = {"Company", "Organization", "LegalEntity", "PublicBody"}


@dataclass(frozen=True)
class LoadedEntity:
    entity: EntityConfig
    where: str  # "file.csv:12"


def _split(value: str | None, separator: str) -> list[str]:
    return [part.strip() for part in (value or "").split(separator) if part.strip()]


def _is_ftm(header: list[str]) -> bool:
    return {"id", "schema", "name", "aliases"} <= set(header)


def parse_watchlist_csv(text: str, label: str) -> tuple[list[LoadedEntity], list[str]]:
    """Entities and errors from one CSV file's text (`label` names the file in messages)."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    if "name" not in header:
        return [], [f"{label}:1: a header row with a 'name' column is required"]
    ftm = _is_ftm(header)
    unknown = [] if ftm else [h for h in header if h not in OUR_COLUMNS]
    if unknown:
        return [], [f"{label}:1: unknown column(s) {', '.join(unknown)} (allowed: {', '.join(sorted(OUR_COLUMNS))})"]
    entities: list[LoadedEntity] = []
    errors: list[str] = []
    for row in reader:
        line = reader.line_num
        row = {(k or "").strip(): v for k, v in row.items()}
        if ftm:
            if row.get("schema") not in FTM_ORGANISATIONS:
                continue
            data = {"name": (row.get("name") or "").strip(), "aliases": _split(row.get("aliases"), ";")}
            if data["name"]:
                data["aliases"] = list(dict.fromkeys([data["name"], *data["aliases"]]))
        else:
            data = {key: _split(row.get(key), "|") for key in OUR_COLUMNS - {"name", "case_sensitive"}}
            data["name"] = (row.get("name") or "").strip()
            flag = (row.get("case_sensitive") or "").strip().lower()
            data["case_sensitive"] = flag in ("1", "true", "yes")
        try:
            entities.append(LoadedEntity(EntityConfig.model_validate(data), f"{label}:{line}"))
        except ValidationError as exc:
            for error in exc.errors():
                column = ".".join(str(p) for p in error["loc"][:1])
                errors.append(f"{label}:{line}: {column}: {error['msg'].removeprefix('Value error, ')}")
    return entities, errors


def load_watchlist_files(
    paths: list[str], base_dir: Path, read: Callable[[Path], str] | None = None
) -> tuple[list[LoadedEntity], list[str]]:
    """Entities from every file in `watchlist_files:` (paths relative to the config file)."""
    read = read or (lambda p: p.read_text(encoding="utf-8-sig"))
    entities: list[LoadedEntity] = []
    errors: list[str] = []
    for index, raw in enumerate(paths):
        path = Path(raw).expanduser()
        path = path if path.is_absolute() else base_dir / path
        try:
            text = read(path)
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(f"watchlist_files[{index}]: cannot read {path}: {getattr(exc, 'strerror', None) or exc}")
            continue
        found, problems = parse_watchlist_csv(text, raw)
        entities += found
        errors += problems
    return entities, errors
