"""Distances from home to placement: straight-line (DfE method), road networks, routing, and the distance models."""

import lazy_loader

# the public API, imported on first use (so that 'farfromhome --help' stays fast); callers need not know file names
__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "straight": ["DISTANCE_BANDS", "DISTANCE_BAND_EDGES_MILES", "KM_PER_MILE", "DFE_KM_PER_MILE",
                     "distance_band", "dfe_miles", "dfe_miles_from_km", "straight_distance", "OVER_MILES"],
        "network": ["RoadNetwork", "build_network", "load_network", "save_network"],
        "engine": ["shortest_path_lengths", "quickest_routes"],
        "road": ["road_distances", "road_matrix", "road_nearest"],
        "snapping": ["snap", "snap_to_edges", "EdgeSnap"],
        "road_summary": ["road_source_summary", "backbone_agreement"],
        "profiles": ["PROFILES", "Profile", "get_profile", "make_profile", "arc_times"],
        "fetch": ["fetch_extract"],
        "backbone": ["backbone_distances"],
        "child_models": ["child_effect", "ChildEffectResult"],
        "within_child": ["within_child_effect", "WithinChildResult"],
        "move_study": ["move_event_study", "move_windows", "EventStudyResult"],
        "ecological": ["ecological_effect", "EcologicalResult"],
        "national": ["missing_rate_ratios", "NationalMissingResult"],
    },
)
