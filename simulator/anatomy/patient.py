"""Patient parameters shared by every anatomy generator."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class PatientParams(BaseModel):
    """The patient a generated model represents. Deterministic with the seed."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    sex: Literal["female", "male"] = Field("female", description="Biological sex: sets bone "
                                           "size and fat distribution.")
    bmi: float = Field(27.0, ge=16.0, le=60.0, description="Body-mass index in kg/m2: sets "
                       "subcutaneous fat thickness and depth to the joint.")
    side: Literal["left", "right"] = Field("right", description="Which side is injected.")
    oa_grade: int = Field(0, ge=0, le=4, description="Kellgren-Lawrence osteoarthritis grade "
                          "0-4: narrows the joint space (cartilage thinning).")
    effusion_mm: float = Field(0.0, ge=0.0, le=15.0, description="Extra fluid depth in the "
                               "anterior recess in mm (0 = no effusion; >5 mm is an effusion).")

    def key(self) -> dict:
        """Plain dict used in cache keys and manifests."""
        return self.model_dump(mode="json")
