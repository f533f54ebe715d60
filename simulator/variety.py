"""Patient variety: scenario patient fields given as fixed values or as distributions.

A distribution is drawn from the session seed, so every attempt can meet a different patient
while the log (which records the seed) still replays exactly. Continuous draws are rounded
(BMI to 0.5, effusion to 0.5 mm) so nearby patients share a cached anatomy.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from simulator.anatomy.patient import PatientParams
from simulator.bounds import bounded

ROUNDING = {"bmi": 0.5, "effusion_mm": 0.5}
MAX_CHOICES = 100
DrawValue = bounded(-1000.0, 1000.0)   # patient fields are BMI, mm and grades: all far smaller
Weight = bounded(0.0, 1e6)


class Draw(BaseModel):
    """A distribution for one patient field: exactly one of choice, uniform or normal."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    choice: tuple[str | float, ...] | None = Field(None, description="Pick one of these "
                                                   "values (with optional weights).",
                                                   min_length=1, max_length=MAX_CHOICES)
    weights: tuple[Weight, ...] | None = Field(None, description="Relative weights for choice "
                                               "(zero or more, not all zero).")
    uniform: tuple[DrawValue, DrawValue] | None = Field(None, description="Uniform between "
                                                        "[low, high].")
    normal: tuple[DrawValue, DrawValue] | None = Field(None, description="Normal [mean, sd], "
                                                       "clipped to the field's allowed range.")

    @model_validator(mode="after")
    def _exactly_one(self):
        given = [k for k in ("choice", "uniform", "normal") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'choice', 'uniform' or 'normal'")
        if self.weights is not None and (self.choice is None
                                         or len(self.weights) != len(self.choice)):
            raise ValueError("'weights' needs a 'choice' of the same length")
        if self.weights is not None and sum(self.weights) <= 0:
            raise ValueError("'weights' must not all be zero")
        if self.uniform is not None and self.uniform[0] > self.uniform[1]:
            raise ValueError("uniform needs [low, high] with low <= high")
        if self.normal is not None and self.normal[1] < 0:
            raise ValueError("normal needs [mean, sd] with sd >= 0")
        return self

    def draw(self, rng: np.random.Generator):
        if self.choice is not None:
            p = None if self.weights is None else np.asarray(self.weights) / sum(self.weights)
            return self.choice[int(rng.choice(len(self.choice), p=p))]
        if self.uniform is not None:
            return float(rng.uniform(*self.uniform))
        return float(rng.normal(*self.normal))


def _doc(name: str) -> str:
    return (PatientParams.model_fields[name].description or "") + " A value or a distribution."


class PatientSpec(BaseModel):
    """The patient of a scenario: each field a value or a distribution (see Draw)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    sex: Literal["female", "male"] | Draw = Field("female", description=_doc("sex"))
    bmi: float | Draw = Field(27.0, description=_doc("bmi"))
    side: Literal["left", "right"] | Draw = Field("right", description=_doc("side"))
    oa_grade: int | Draw = Field(0, description=_doc("oa_grade"))
    effusion_mm: float | Draw = Field(0.0, description=_doc("effusion_mm"))

    @field_validator("*", mode="before")
    @classmethod
    def _possible(cls, value, info):
        """Fixed values and every choice must be valid for the field; ranges are clipped."""
        if isinstance(value, dict | Draw):
            draw = value if isinstance(value, Draw) else Draw.model_validate(value)
            for option in draw.choice or ():
                _check(info.field_name, option)
            return draw
        _check(info.field_name, value)
        return value

    def _fields(self):
        return [(name, getattr(self, name)) for name in PatientParams.model_fields]

    @property
    def varies(self) -> bool:
        return any(isinstance(v, Draw) for _, v in self._fields())

    def draw(self, seed: int) -> PatientParams:
        """The patient for a session seed (the fixed patient if nothing varies)."""
        rng = np.random.default_rng([seed, 0x9A71E47])
        values = {}
        for name, value in self._fields():
            if isinstance(value, Draw):
                value = value.draw(rng)
                field = PatientParams.model_fields[name]
                lo, hi = _limits(field)
                if isinstance(value, float):
                    step = ROUNDING.get(name)
                    value = round(value / step) * step if step else value
                    value = min(max(value, lo), hi) if lo is not None else value
                    if name == "oa_grade":
                        value = int(round(value))
            values[name] = value
        return PatientParams(**values)


def _check(name: str, value) -> None:
    try:
        PatientParams.model_validate({name: value})
    except ValidationError as exc:
        raise ValueError(exc.errors()[0]["msg"]) from None


def _limits(field):
    lo = hi = None
    for m in field.metadata:
        lo = getattr(m, "ge", lo)
        hi = getattr(m, "le", hi)
    return lo, hi
