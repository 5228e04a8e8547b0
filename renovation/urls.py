"""URLs of the renovation app: each part lists its own."""
import importlib

from renovation.parts import PARTS

app_name = "renovation"
urlpatterns = []
for _name in PARTS:
    urlpatterns += importlib.import_module(_name).urlpatterns
