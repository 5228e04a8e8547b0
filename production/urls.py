"""URLs of the production app."""
from production.views import pages, process

app_name = "production"
urlpatterns = [*pages.urlpatterns, *process.urlpatterns]
