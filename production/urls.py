"""URLs of the production app."""
from production.views import pages, service, trace

app_name = "production"
urlpatterns = [*pages.urlpatterns, *trace.urlpatterns, *service.urlpatterns]
