"""URLs of the management review (``/reviews/``)."""
from reviews.views import pack

app_name = "reviews"
urlpatterns = [*pack.urlpatterns]
