"""The parts of the key-accounts app; importing each registers its menu entries, tabs, work and demo data."""
import importlib

PARTS = ["customers.views.customers", "customers.views.pool", "customers.views.visits", "customers.views.grading",
         "customers.views.analysis", "customers.imports"]

for _name in PARTS:
    try:
        importlib.import_module(_name)
    except ModuleNotFoundError as error:
        if error.name != _name:
            raise
