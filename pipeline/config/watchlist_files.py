"""Watchlist entities from files: our CSV, and the FollowTheMoney / OpenSanctions CSV export.

Our CSV has a header row; `name` is required, and `aliases`, `weak_aliases`, `context`,
`exclude`, `ticker` are optional, several values separated by `|`.

The OpenSanctions "simple" CSV export of FollowTheMoney entities (columns id, schema, name,
aliases, ...; aliases separated by `;`) is recognised by its header; only organisations are read
(Company, Organization, LegalEntity, PublicBody), people are skipped.

Every problem is reported as `file:line: message`.

A cell of ours with a comma and no `|` ("Adani Ports, APSEZ") is read as one value, as documented,
and `check` warns about it naming the file and line. Not an error: legal names hold commas
("Zijin Mining Group Co., Ltd.") and a CSV cell has no other way to say "one value with a comma";
a comma followed only by a legal-form suffix (Ltd, Inc, Co, LLC, AG, S.A., …) is not warned about.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from pydantic import ValidationError

from pipeline.config.schema import EntityConfig
from pipeline.config.suggest import did_you_mean

OUR_COLUMNS = {"name", "aliases", "weak_aliases", "context", "exclude", "ticker", "case_sensitive"}
FTM_ORGANISATIONS = {"Company", "Organization", "LegalEntity", "PublicBody"}
LIST_COLUMNS = sorted(OUR_COLUMNS - {"name", "case_sensitive"})
_LEGAL_SUFFIX = re.compile(
    r"^(?:co|corp|inc|ltd|llc|llp|lp|plc|ag|sa|s\.a|nv|n\.v|bv|b\.v|gmbh|spa|s\.p\.a|ab|as|asa|oy|oyj|"
    r"kk|k\.k|pte|pty|limited|incorporated|company)\.?(?:\s*ltd\.?|\s*limited)?$", re.IGNORECASE)


@dataclass(frozen=True)
class LoadedEntity:
    entity: EntityConfig
    where: str  # "file.csv:12"


def _split(value: str | None, separator: str) -> list[str]:
    return [part.strip() for part in (value or "").split(separator) if part.strip()]


def comma_warning(cell: str | None, column: str, where: str) -> str | None:
    """A warning for a cell that looks like a list written with commas instead of `|`."""
    if not cell or "|" in cell or "," not in cell:
        return None
    after = [part.strip() for part in cell.split(",")[1:]]
    if all(_LEGAL_SUFFIX.match(part) for part in after if part):
        return None
    parts = "|".join(part.strip() for part in cell.split(",") if part.strip())
    return (f"{where}: {column}: {cell.strip()!r} has a comma but no |, so it is one value; "
            f"if you meant several, write {parts}")


def _is_ftm(header: list[str]) -> bool:
    return {"id", "schema", "name", "aliases"} <= set(header)


def parse_watchlist_csv(text: str, label: str) -> tuple[list[LoadedEntity], list[str], list[str]]:
    """Entities, errors and warnings from one CSV file's text (`label` names the file in messages)."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    if "name" not in header:
        return [], [f"{label}:1: a header row with a 'name' column is required"], []
    ftm = _is_ftm(header)
    unknown = [] if ftm else [h for h in header if h not in OUR_COLUMNS]
    if unknown:
        hints = "".join(did_you_mean(h, OUR_COLUMNS) for h in unknown)
        return [], [f"{label}:1: unknown column(s) {', '.join(unknown)}{hints} "
                    f"(allowed: {', '.join(sorted(OUR_COLUMNS))})"], []
    entities: list[LoadedEntity] = []
    errors: list[str] = []
    warnings: list[str] = []
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
            data = {key: _split(row.get(key), "|") for key in LIST_COLUMNS}
            warnings += [w for key in LIST_COLUMNS if (w := comma_warning(row.get(key), key, f"{label}:{line}"))]
            data["name"] = (row.get("name") or "").strip()
            flag = (row.get("case_sensitive") or "").strip().lower()
            data["case_sensitive"] = flag in ("1", "true", "yes")
        try:
            entities.append(LoadedEntity(EntityConfig.model_validate(data), f"{label}:{line}"))
        except ValidationError as exc:
            for error in exc.errors():
                column = ".".join(str(p) for p in error["loc"][:1])
                errors.append(f"{label}:{line}: {column}: {error['msg'].removeprefix('Value error, ')}")
    return entities, errors, warnings


def load_watchlist_files(
    paths: list[str], base_dir: Path, read: Callable[[Path], str] | None = None
) -> tuple[list[LoadedEntity], list[str], list[str]]:
    """Entities, errors and warnings from every file in `watchlist_files:` (relative to the config file)."""
    read = read or (lambda p: p.read_text(encoding="utf-8-sig"))
    entities: list[LoadedEntity] = []
    errors: list[str] = []
    warnings: list[str] = []
    for index, raw in enumerate(paths):
        path = Path(raw).expanduser()
        path = path if path.is_absolute() else base_dir / path
        try:
            text = read(path)
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(f"watchlist_files[{index}]: cannot read {path}: {getattr(exc, 'strerror', None) or exc}")
            continue
        found, problems, doubts = parse_watchlist_csv(text, raw)
        entities += found
        errors += problems
        warnings += doubts
    return entities, errors, warnings
