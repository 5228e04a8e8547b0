"""URLs of the key-accounts app: each part (customers, pool, visits, grading, analysis) lists its own."""
import importlib

app_name = "customers"
urlpatterns = []
for _name in ["customers.views.customers", "customers.views.pool", "customers.views.visits",
              "customers.views.grading", "customers.views.analysis"]:
    try:
        urlpatterns += importlib.import_module(_name).urlpatterns
    except ModuleNotFoundError as error:
        if error.name != _name:
            raise
