"""URLs of the complaints app: each part (complaints, returns, adverse events and notices, surveys, dashboard)
lists its own."""
import importlib

from complaints.parts import PARTS

app_name = "complaints"
urlpatterns = []
for _name in PARTS:
    try:
        urlpatterns += importlib.import_module(_name).urlpatterns
    except ModuleNotFoundError as error:
        if error.name != _name:
            raise
