"""Wire types more than one app's schemas use."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from kassa.money import DECIMAL_PATTERN

# Checked by pydantic-core's own pattern matcher, not by Python code per value: a batch
# of 50 orders holds 2,000 of them. The services turn them into scaled integers
# (kassa.money.to_scaled) and check the places each field allows.
DecimalStr = Annotated[
    str,
    StringConstraints(max_length=32, pattern=DECIMAL_PATTERN),
    Field(description='A decimal string such as "10.00" or "-1.5", never a JSON number'),
]
