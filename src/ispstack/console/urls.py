"""The staff console's URLs, under /staff/."""

from django.urls import path

from ispstack.console.views import auth, home, search

app_name = "console"

urlpatterns = [
    path("", home.HomeView.as_view(), name="home"),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("search/", search.SearchView.as_view(), name="search"),
]
