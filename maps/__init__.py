"""Outputs: interactive maps, publication figures, the report, and the main job (``run_job``)."""

import lazy_loader

# the public API, imported on first use (so that 'farfromhome --help' stays fast); callers need not know file names
__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "pipeline": ["run_job", "JobOptions", "JobResult"],
        "interactive": ["supply_map", "flow_map", "distance_map", "save_map"],
        "static": ["supply_figure", "flow_figure", "distance_figure", "save_figure"],
        "report": ["write_index"],
        "sufficiency": ["sufficiency_report", "surface_layer", "excess_figure", "excess_map"],
        "effect_figures": ["plot_ecological", "plot_dose_response", "write_ecological_outputs", "write_child_outputs",
                           "plot_designs", "plot_event_study", "write_design_outputs"],
        "trends_figure": ["trends_figure"],
        "steps": ["StepOutput", "Skipped"],
    },
)
