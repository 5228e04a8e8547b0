"""The parts of the renovation app; importing each registers its pages, menu entries, work, imports and demo data."""
import renovation.imports  # noqa: F401
import renovation.selectors  # noqa: F401
import renovation.views.applications  # noqa: F401
import renovation.views.completion  # noqa: F401
import renovation.views.site  # noqa: F401
import renovation.views.units  # noqa: F401

PARTS = ["renovation.views.applications", "renovation.views.completion", "renovation.views.site",
         "renovation.views.units"]
