"""URLconf of a pretend plug-in app, mounted by the ARGUS_EXTRA_APPS / OVERRIDING_APPS tests."""

from django.http import HttpResponse
from django.urls import path

app_name = "extra"

urlpatterns = [
    path("hello/", lambda request: HttpResponse("hello from extra"), name="hello"),
]
