"""URLs of change control (/changes/)."""
from changes.views import pages

app_name = "changes"
urlpatterns = [*pages.urlpatterns]
