"""The attribution lines every map, figure and report carries for the data it uses (one home for each)."""

from __future__ import annotations

__all__ = ["OS_ATTRIBUTION", "OGL_ATTRIBUTION", "OSM_ATTRIBUTION", "ATTRIBUTION", "SRN_ATTRIBUTION"]

OS_ATTRIBUTION = "Contains OS data © Crown copyright and database right"
"""Ordnance Survey (boundaries through ONS, Code-Point Open postcodes)."""

OGL_ATTRIBUTION = "Contains public sector information licensed under the Open Government Licence v3.0"
"""DfE and Ofsted statistics."""

OSM_ATTRIBUTION = "© OpenStreetMap contributors"
"""Added wherever road distances from OpenStreetMap are shown (ODbL 1.0)."""

SRN_ATTRIBUTION = "Contains National Highways information licensed under the Open Government Licence v3.0"
"""The Strategic Road Network graph behind the approximate national backbone."""

ATTRIBUTION = f"{OS_ATTRIBUTION}; {OGL_ATTRIBUTION}"
"""Attribution on every map (boundaries: ONS/OS; statistics: Ofsted, DfE)."""
