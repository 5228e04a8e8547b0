"""URLs of the renovation app."""
from renovation.views import applications, completion, site, units

app_name = "renovation"
urlpatterns = [*applications.urlpatterns, *completion.urlpatterns, *site.urlpatterns, *units.urlpatterns]
