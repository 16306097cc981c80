"""Residents per housing department and year (`havehus import-departments`): the
denominators of the participation rates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from havehus.dbutil import hold_keys
from havehus.models import Department, DepartmentPopulation
from havehus.orm import OrmSession
from havehus.people.audit import Actor, record
from havehus.program.slugs import slug_from_title
from havehus.reports.imports.reading import (
    FIRST_YEAR,
    OUTSIDE_WORDS,
    Errors,
    ImportResult,
    by_line,
    check_may_import,
    match_key,
    read_rows,
    shown,
    whole_number,
)

DEPARTMENT_HEADER = ("department", "year", "residents_18_plus", "residents_65_plus", "source")
MAX_RESIDENTS = 1_000_000


def department_index(orm: OrmSession) -> dict[str, Department]:
    """Departments by web name, then by name (a web name wins when both match)."""
    departments = orm.scalars(select(Department).order_by(Department.id)).all()
    index: dict[str, Department] = {}
    for department in departments:
        index.setdefault(match_key(department.slug), department)
    for department in departments:
        index.setdefault(match_key(department.name), department)
    return index


def _free_department_slug(name: str, taken: set[str]) -> str:
    base = slug_from_title(name)[:50].rstrip("-")
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    taken.add(slug)
    return slug


@dataclass(frozen=True)
class _Figures:
    line: int
    name: str
    year: int
    adults: int
    seniors: int | None
    source: str


def import_departments(orm: OrmSession, data: bytes, now: datetime, actor: Actor) -> ImportResult:
    """Residents aged 18+ and 65+ per housing department and year, with their source.

    A department is found by its web name or name and added when there is none; importing a
    year again replaces that year's figures (and forgets its number of residents of all ages,
    which the file does not carry). Nothing changes when any row is bad.
    """
    check_may_import(actor)
    hold_keys(orm, "reports.import")
    result = ImportResult()
    errors = Errors(result.errors)
    lines = read_rows(data, DEPARTMENT_HEADER, errors)
    result.rows = len(lines)
    last_year = now.year + 1
    seen: dict[tuple[str, int], int] = {}
    figures: list[_Figures] = []
    for line in lines:
        name = line.values["department"]
        if not name:
            errors.add(line.number, _("department is missing."))
        elif match_key(name) in OUTSIDE_WORDS:
            errors.add(
                line.number,
                _("Outside the area has no count of residents: leave this line out."),
            )
        year = whole_number(line, "year", FIRST_YEAR, last_year, errors)
        adults = whole_number(line, "residents_18_plus", 0, MAX_RESIDENTS, errors)
        seniors = whole_number(line, "residents_65_plus", 0, MAX_RESIDENTS, errors, required=False)
        if adults is not None and seniors is not None and seniors > adults:
            errors.add(
                line.number,
                _(
                    "residents_65_plus (%(seniors)d) is more than residents_18_plus (%(adults)d).",
                    seniors=seniors,
                    adults=adults,
                ),
            )
        source = line.values["source"]
        if not source:
            errors.add(line.number, _("source is missing: say where the figures come from."))
        if name and year is not None:
            earlier = seen.setdefault((match_key(name), year), line.number)
            if earlier != line.number:
                errors.add(
                    line.number,
                    _(
                        "%(department)s %(year)d is on line %(line)d already.",
                        department=shown(name),
                        year=year,
                        line=earlier,
                    ),
                )
        if errors.on(line.number) or year is None or adults is None:
            continue
        figures.append(_Figures(line.number, name, year, adults, seniors, source))
    if result.errors:
        result.errors.sort(key=by_line)
        return result
    result.changes = _store_figures(orm, figures, now, actor)
    return result


def _store_figures(
    orm: OrmSession, figures: Sequence[_Figures], now: datetime, actor: Actor
) -> dict[str, int]:
    changes = dict.fromkeys(
        ("departments_created", "years_added", "years_replaced", "years_unchanged"), 0
    )
    index = department_index(orm)
    taken = set(orm.scalars(select(Department.slug)))
    for item in figures:
        if match_key(item.name) not in index:
            department = Department(slug=_free_department_slug(item.name, taken), name=item.name)
            orm.add(department)
            index[match_key(item.name)] = index[match_key(department.slug)] = department
            changes["departments_created"] += 1
    orm.flush()
    populations = {
        (population.department_id, population.year): population
        for population in orm.scalars(select(DepartmentPopulation))
    }
    for item in figures:
        department = index[match_key(item.name)]
        wanted: dict[str, Any] = {
            "residents": None,
            "adults": item.adults,
            "residents_65_plus": item.seniors,
            "source": item.source,
        }
        population = populations.get((department.id, item.year))
        if population is None:
            orm.add(DepartmentPopulation(department_id=department.id, year=item.year, **wanted))
            changes["years_added"] += 1
        elif all(getattr(population, name) == value for name, value in wanted.items()):
            changes["years_unchanged"] += 1
        else:
            for name, value in wanted.items():
                setattr(population, name, value)
            changes["years_replaced"] += 1
    record(orm, "import.departments", now, actor, details={"rows": len(figures), **changes})
    orm.flush()
    return changes
