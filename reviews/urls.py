"""URLs of the management review (``/reviews/``)."""
from reviews.views import pack, reviews

app_name = "reviews"
urlpatterns = [*reviews.urlpatterns, *pack.urlpatterns]
