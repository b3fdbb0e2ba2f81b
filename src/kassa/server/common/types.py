"""Wire types every app's schemas use, each with the range the database can hold.

A value that gets through a schema must fit where it is stored: an id beyond 64 bits, or
an amount wider than its column, used to pass the schema and fail at the database (a 500,
or worse, a row stored that cannot be read back). So every integer and decimal of the
terminal API is one of these types, never a bare `int` or `str` (docs/security.md):

- `Id`: a database key, 1..2^63-1 (BigAutoField and BigIntegerField);
- `Cursor`: a paging position or change token, 0..2^63-1;
- `Count`: a page size or other small count, 0..2^31-1;
- `Timestamp`: a date and time with a UTC offset of at most 14 hours, in the years
  1900 to 9998 (PostgreSQL refuses offsets of 16 hours and more, and a date at the edge
  of Python's range overflows when moved to UTC);
- `DecimalStr`: any decimal string of the wire's grammar (a service checks its range);
- `decimal_str(max_digits, places)` and `column_decimal(Model, "field")`: the constraint
  of a decimal string that fits a `DecimalField` column, used as
  `Annotated[str, column_decimal(CashSession, "opening_float")]`; refused by the schema
  with a sentence that names the largest value the column holds.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints

from kassa.money import DECIMAL_PATTERN

MAX_ID = 2**63 - 1
"""The largest key a 64-bit signed column holds (PostgreSQL bigint, SQLite INTEGER)."""
MAX_INT32 = 2**31 - 1

MAX_UTC_OFFSET = timedelta(hours=14)  # Kiribati's +14:00; the furthest west is -12:00
FIRST_YEAR, LAST_YEAR = 1900, 9998


def timestamp_problem(value: datetime) -> str | None:
    """Why `value` cannot be stored as a timestamp with time zone, or None if it can."""
    offset = value.utcoffset()
    if offset is None:
        return "must have a UTC offset"
    if abs(offset) > MAX_UTC_OFFSET:
        return "must have a UTC offset between -14:00 and +14:00"
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        return f"must be in the years {FIRST_YEAR} to {LAST_YEAR}"
    return None


def _timestamp(value: datetime) -> datetime:
    problem = timestamp_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


Timestamp = Annotated[AwareDatetime, AfterValidator(_timestamp)]

Id = Annotated[int, Field(ge=1, le=MAX_ID, description="A database id: 1 to 2^63-1")]
Cursor = Annotated[int, Field(ge=0, le=MAX_ID)]
Count = Annotated[int, Field(ge=0, le=MAX_INT32)]

# Checked by pydantic-core's own pattern matcher, not by Python code per value: a batch
# of 50 orders holds 2,000 of them. The services turn them into scaled integers
# (kassa.money.to_scaled) and check the places each field allows.
DecimalStr = Annotated[
    str,
    StringConstraints(max_length=32, pattern=DECIMAL_PATTERN),
    Field(description='A decimal string such as "10.00" or "-1.5", never a JSON number'),
]

# The sentence a refused value gets, by the pattern that refused it (read by
# common.errors.validation_details: pydantic's own message would quote the regex).
PATTERN_MESSAGES: dict[str, str] = {
    DECIMAL_PATTERN: 'must be a decimal string such as "10.00" or "-1.5": digits, an '
    'optional "-" and "."',
}


def decimal_str(max_digits: int, places: int, *, signed: bool = True) -> Any:
    # Any, not FieldInfo: it is metadata of Annotated[str, ...], where mypy wants no type.
    """A decimal string that a `DecimalField(max_digits, decimal_places=places)` holds.

    The whole part may have at most `max_digits - places` digits (leading zeros aside),
    the fraction at most `places` digits beyond which only zeros may follow ("1.500" is
    1.50). Checked by pattern, so a batch of them costs no Python per value; a refused
    value is answered with the column's largest value in words (PATTERN_MESSAGES).
    """
    whole = max_digits - places
    sign = "-?" if signed else ""
    integer = f"0*[0-9]{{1,{whole}}}" if whole > 0 else "0*"
    fraction = rf"(\.[0-9]{{1,{places}}}0*)?" if places > 0 else r"(\.0+)?"
    pattern = f"^{sign}{integer}{fraction}$"
    largest = Decimal(10) ** whole - Decimal(1).scaleb(-places)
    largest_text = f"{largest:.{places}f}"
    if pattern not in PATTERN_MESSAGES:
        low = f"-{largest_text} to " if signed else "0 to "
        PATTERN_MESSAGES[pattern] = (
            f"must be a decimal string from {low}{largest_text} with at most {places} "
            'decimals, such as "10.00"'
        )
    return Field(
        max_length=64,
        pattern=pattern,
        description=f"A decimal string, {'' if signed else 'not negative, '}at most "
        f"{largest_text} with at most {places} decimals (never a JSON number)",
        json_schema_extra={"x-max-digits": max_digits, "x-decimal-places": places},
    )


def column_decimal(model: Any, field: str, *, signed: bool = True) -> Any:
    """`decimal_str` for the column a model field is stored in: the schema and the
    database cannot disagree on what fits, on SQLite as on PostgreSQL."""
    column = model._meta.get_field(field)
    return decimal_str(column.max_digits, column.decimal_places, signed=signed)
