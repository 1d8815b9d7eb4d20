"""The staff console's URLs, under /staff/."""

from django.urls import path

from ispstack.console.views import auth, home, runs, search

app_name = "console"

urlpatterns = [
    path("", home.HomeView.as_view(), name="home"),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("search/", search.SearchView.as_view(), name="search"),
    path("runs/", runs.RunsView.as_view(), name="runs"),
    path("runs/<slug:kind>/start/", runs.StartRunView.as_view(), name="run-start"),
    path("runs/<slug:kind>/<int:pk>/", runs.RunView.as_view(), name="run"),
    path(
        "runs/<slug:kind>/<int:pk>/progress/", runs.RunProgressView.as_view(), name="run-progress"
    ),
]
