"""Supply and demand (Ofsted, DfE), SSDA903 placements read and located, synthetic returns, gaps and clustering."""

import lazy_loader

# the public API, imported on first use (so that 'farfromhome --help' stays fast); callers need not know file names
__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "homes": ["supply_by_la", "published_totals", "latest_complete_year"],
        "demand": ["demand_by_la"],
        "gaps": ["supply_gaps"],
        "clustering": ["spatial_clustering"],
        "measures": ["la_measures"],
        "ssda903": ["read_ssda903", "read_table", "validate", "return_format"],
        "placements": ["locate", "read_located"],
        "flows": ["placement_flows", "distances_by_la"],
        "placement_frame": ["placement_frame", "load_placement_frame"],
        "collection_years": ["combine_years"],
        "outcomes": ["load_ecological"],
        "returns": ["read_return", "synthetic_return", "ChildLevelData"],
        "synth": ["generate"],
        "homes_list": ["read_homes_list"],
        "sufficiency": ["public_places", "excess_distance", "summarise"],
        "whatif": ["whatif"],
        "surface": ["nearest_place_surface", "write_surface"],
        "trends": ["MEASURES"],  # not ``trends`` itself: that name is the module (provision.trends.trends)
        "headline": ["headline_figures", "claims_table"],
        "national_missing": ["load_national_missing"],
    },
)
