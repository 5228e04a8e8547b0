"""URLs of the production app."""
from production.views import isolation, pages, process, service, trace

app_name = "production"
urlpatterns = [*pages.urlpatterns, *isolation.urlpatterns, *trace.urlpatterns, *service.urlpatterns,
               *process.urlpatterns]
