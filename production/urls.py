"""URLs of the production app."""
from production.views import isolation, pages

app_name = "production"
urlpatterns = [*pages.urlpatterns, *isolation.urlpatterns]
