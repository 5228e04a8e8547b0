"""URLs of the production app."""
from production.views import pages

app_name = "production"
urlpatterns = [*pages.urlpatterns]
