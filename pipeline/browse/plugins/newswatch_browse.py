"""What `datasette --plugins-dir` loads: newswatch's hooks (the code is in pipeline.browse.hooks)."""

from pipeline.browse.hooks import (
    extra_template_vars,
    filters_from_request,
    menu_links,
    register_output_renderer,
    render_cell,
)

__all__ = ["extra_template_vars", "filters_from_request", "menu_links", "register_output_renderer",
           "render_cell"]
