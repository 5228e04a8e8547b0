"""The parts of the complaints app; importing each registers its menu entries, tabs, work and demo data."""
import importlib

PARTS = ["complaints.views.complaints", "complaints.views.returns", "complaints.views.adverse",
         "complaints.views.surveys", "complaints.views.dashboard"]

for _name in PARTS:
    try:
        importlib.import_module(_name)
    except ModuleNotFoundError as error:
        if error.name != _name:
            raise
